"""Task broadcast: operands of different shapes, broadcast as numpy does, a plain number or an ndarray
on either side; the gradient of a broadcast input is summed back to that input's shape.

Each program multiplies by a fixed array w of out's shape, so the upstream gradient differs from
element to element and a sum over the wrong axes cannot come out right by luck.
"""

import numpy as np
import pytest
from ugrad_quest.testkit import tensors as tk

pytestmark = pytest.mark.task("broadcast")

SUM_BACK = ("the gradient of an input numpy broadcast must be summed back to that input's shape: sum it back "
            "over the axes that were broadcast (the leading axes numpy added, and with keepdims=True every "
            "axis where the input has size 1)")


@pytest.fixture
def kit(Tensor):
    return tk.TensorKit(Tensor)


def diagnose(res: tk.Result, name: str) -> str:
    """Name the broadcast bug when the evidence fits it: a gradient left in the broadcast shape, or
    summed over the wrong axes (right shape, right total, wrong numbers)."""
    if name not in res.arrays:
        return ""
    shape, out_shape = res.arrays[name].shape, res.want_out.shape
    if shape == out_shape:
        return ""
    got, want = res.grads[name], res.want_grads[name]
    axes = tk.broadcast_axes(shape, out_shape)
    keep = ""
    if 1 in shape:
        ones = [i for i, s in enumerate(shape) if s == 1]
        keep = (f", with keepdims=True for {'axis' if len(ones) == 1 else 'axes'} {', '.join(map(str, ones))} "
                f"where {name} has size 1: a sum that drops such an axis lines up with the wrong axes when "
                "added back")
    if got.shape != want.shape:
        kept = "it kept the broadcast shape of out" if got.shape == out_shape else f"it has shape {tk.shape_text(got.shape)}"
        return (f"{name} has shape {tk.shape_text(shape)} and numpy broadcast it to {tk.shape_text(out_shape)}; "
                f"{kept}: sum it back over the axes that were broadcast ({axes}){keep}")
    if np.isclose(got.sum(), want.sum(), rtol=1e-6, atol=1e-9):
        return (f"the right numbers summed over the wrong axes: {name} of shape {tk.shape_text(shape)} was "
                f"broadcast along {axes} of out {tk.shape_text(out_shape)}, so its gradient is out's summed over "
                f"exactly {'that axis' if axes.startswith('axis') else 'those axes'}"
                + (" with keepdims=True" if 1 in shape else ""))
    return ""


def check(kit, code: str, shapes: dict, r, consts=None, hint: str = SUM_BACK, **positive):
    arrays = {n: tk.array(r, s, positive=positive.get(n, False)) for n, s in shapes.items()}
    kit.check(code, arrays, consts, hint=hint, diagnose=diagnose)


@pytest.mark.parametrize("op", ["+", "*"])
def test_column_and_row(kit, op):
    # a (m, 1) and b (1, n) make an (m, n) out: each is summed back over its own size-1 axis.
    r = tk.rng()
    m, n = tk.dims(r, 2)
    column = (f"a of shape ({m}, 1) was broadcast along axis 1, where it has size 1, not along a leading axis "
              f"numpy added: its gradient is out's summed over axis 1 with keepdims=True, shape ({m}, 1), and "
              f"b's is summed over axis 0, shape (1, {n}); summing only leading axes leaves ({m}, {n})")
    check(kit, f"out = (a {op} b) * w", {"a": (m, 1), "b": (1, n)}, r, {"w": tk.array(r, (m, n))}, hint=column)


def test_matrix_and_vector(kit):
    # b (n,) is stretched over a new leading axis: summed back over axis 0.
    r = tk.rng()
    m, n = tk.dims(r, 2)
    check(kit, "out = (a * b - c) * w", {"a": (m, n), "b": (n,), "c": (m, 1)}, r, {"w": tk.array(r, (m, n))})


@pytest.mark.parametrize("code", ["out = (2.5 - a) * w", "out = (a * 3) * w", "out = (a + 1.5) * w",
                                  "out = (3 * a) * w", "out = (1.5 + a) * w", "out = (a - 0.5) * w",
                                  "out = (a / 4) * w", "out = (2 / p) * w"])
def test_a_number_on_either_side(kit, code):
    r = tk.rng()
    shape = tuple(tk.dims(r, 2))
    name = "p" if " p)" in code else "a"
    check(kit, code, {name: shape}, r, {"w": tk.array(r, shape)}, p=True)


@pytest.mark.parametrize("code", ["out = (a + v) * w", "out = (v - a) * w", "out = (a * v) * w",
                                  "out = (v / p) * w"])
def test_an_ndarray_on_either_side(kit, code):
    # v is a plain numpy array of shape (n,) next to a Tensor of shape (m, n).
    r = tk.rng()
    m, n = tk.dims(r, 2)
    name = "p" if " p)" in code else "a"
    left = ("with an ndarray on the left, numpy's operator runs first: keep __array_ufunc__ = None in class Tensor "
            "(the starter has it), so numpy hands v - a to your __rsub__ instead of computing it number by number")
    check(kit, code, {name: (m, n)}, r, {"v": tk.array(r, (n,)), "w": tk.array(r, (m, n))},
          hint=left if code.startswith("out = (v") else SUM_BACK, p=True)


def test_random_broadcast_pairs(kit):
    r = tk.rng()
    for op in r.sample(["+", "-", "*", "/"], 3):
        shape_a, shape_b = tk.broadcast_pair(r)
        if r.random() < 0.5:
            shape_a, shape_b = shape_b, shape_a
        out_shape = np.broadcast_shapes(shape_a, shape_b)
        check(kit, f"out = (a {op} b) * w", {"a": shape_a, "b": shape_b}, r, {"w": tk.array(r, out_shape)})
