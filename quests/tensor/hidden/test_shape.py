"""Task shape: reshape (its three spellings) and transpose (.transpose() and .T) move numbers without
changing them, so their backward moves the gradient back: reshaped to the input's shape, or
transposed back."""

import numpy as np
import pytest
from ugrad_quest.testkit import tensors as tk

pytestmark = pytest.mark.task("shape")


@pytest.fixture
def kit(Tensor):
    return tk.TensorKit(Tensor)


def undo(what: str, shape):
    def diagnose(res: tk.Result, name: str) -> str:
        if name == "out":
            return ""
        got, want = res.grads[name], res.want_grads[name]
        if what == "transpose" and got.shape == want.T.shape and tk.allclose(got, want.T):
            return "the gradient came back transposed the wrong way round: transpose's backward adds out.grad.T"
        return ""
    hint = (f"{what} moves a's numbers, so its backward must move the gradient back: "
            + (f"a.grad += out.grad.reshape(a's shape {tk.shape_text(shape)})" if what == "reshape"
               else "a.grad += out.grad.T"))
    return diagnose, hint


@pytest.mark.parametrize("spelling", ["a.reshape({m}, {n})", "a.reshape(({m}, {n}))", "a.reshape(-1)",
                                      "a.reshape({n}, -1)"])
def test_reshape(kit, spelling):
    r = tk.rng()
    p, q = tk.dims(r, 2, lo=2, hi=4)
    shape = (p, q, 2)
    m, n = p * 2, q
    call = spelling.format(m=m, n=n)
    target = {"a.reshape(-1)": (p * q * 2,), f"a.reshape({n}, -1)": (n, m)}.get(call, (m, n))
    diagnose, hint = undo("reshape", shape)
    kit.check(f"out = {call} * w", {"a": tk.array(r, shape)}, {"w": tk.array(r, target)},
              hint=hint, diagnose=diagnose)


@pytest.mark.parametrize("spelling", ["a.transpose()", "a.T"])
def test_transpose(kit, spelling):
    r = tk.rng()
    m, n = tk.dims(r, 2)
    diagnose, hint = undo("transpose", (m, n))
    kit.check(f"out = {spelling} * w", {"a": tk.array(r, (m, n))}, {"w": tk.array(r, (n, m))},
              hint=hint, diagnose=diagnose)
    k = tk.dims(r, 1, lo=3)[0]  # square: an untransposed gradient fits, with the wrong numbers
    kit.check(f"out = {spelling} * w", {"a": tk.array(r, (k, k))}, {"w": tk.array(r, (k, k))},
              hint=hint, diagnose=diagnose)


def test_shapes_together(kit):
    r = tk.rng()
    m, n = tk.dims(r, 2)
    kit.check("out = (a.T.reshape(-1) * v).reshape(n, m).T * w", {"a": tk.array(r, (m, n))},
              {"v": tk.array(r, (m * n,)), "w": tk.array(r, (m, n)), "n": n, "m": m})
