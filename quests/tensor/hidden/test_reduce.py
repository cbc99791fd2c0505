"""Task reduce: sum and mean over every axis (negative ones too) and over all of them, keepdims both
ways, forward and backward. Each reduced output is multiplied by a fixed array w, so the upstream
gradient differs from element to element: broadcast back along the wrong axis, it gives wrong numbers
even where the shapes happen to fit (a square input)."""

import numpy as np
import pytest
from ugrad_quest.testkit import tensors as tk

pytestmark = pytest.mark.task("reduce")


@pytest.fixture
def kit(Tensor):
    return tk.TensorKit(Tensor)


def restore_hint(call: str, axis, keepdims: bool, shape) -> str:
    if axis is None:
        return (f"{call} adds every element of a into one number, so every element of a.grad gets that number's "
                f"gradient: broadcast out.grad to a's shape {tk.shape_text(shape)}")
    back = "" if keepdims else f" (it is gone from out.grad: put it back first, np.expand_dims(out.grad, {axis}))"
    return (f"{call}'s backward must send each element of out.grad back to every element of a it summed, along "
            f"axis {axis} and only that axis{back}, then broadcast to a's shape {tk.shape_text(shape)}; "
            "a backward that ignores axis or keepdims fits only some shapes")


def mean_diagnose(n: int, call: str):
    def diagnose(res: tk.Result, name: str) -> str:
        if name == "out":
            if tk.allclose(res.out, res.want_out * n):
                return f"{call} must divide the sum by n = {n}, the number of elements averaged"
            return ""
        got, want = res.grads[name], res.want_grads[name]
        if got.shape == want.shape and tk.allclose(got, want * n):
            return (f"a.grad is {n} times too large: the mean's backward needs its 1/n too, each element gets "
                    f"out.grad / {n} (n = {n}, the number of elements averaged)")
        return ""
    return diagnose


def shapes(r):
    """A 3-D shape of different sizes (a wrong axis does not fit) and a square one (it fits, wrongly)."""
    p, m, n = tk.dims(r, 3)
    k = tk.dims(r, 1, lo=3, hi=5)[0]
    return [(p, m, n), (k, k)]


def reduced(shape, axis, keepdims):
    return np.zeros(shape).sum(axis=axis, keepdims=keepdims).shape


@pytest.mark.parametrize("keepdims", [False, True], ids=["dropped", "kept"])
def test_sum_over_each_axis(kit, keepdims):
    r = tk.rng()
    for shape in shapes(r):
        for axis in [*range(len(shape)), -1]:
            call = f"a.sum(axis={axis}, keepdims={keepdims})"
            kit.check(f"out = {call} * w", {"a": tk.array(r, shape)},
                      {"w": tk.array(r, reduced(shape, axis, keepdims))},
                      hint=restore_hint(call, axis, keepdims, shape))


def test_sum_of_everything(kit):
    r = tk.rng()
    for shape in shapes(r):
        kit.check("out = a.sum() * 3", {"a": tk.array(r, shape)}, hint=restore_hint("a.sum()", None, False, shape))
        kit.check("out = a.sum(keepdims=True) * w", {"a": tk.array(r, shape)},
                  {"w": tk.array(r, (1,) * len(shape))}, hint=restore_hint("a.sum(keepdims=True)", None, True, shape))


@pytest.mark.parametrize("keepdims", [False, True], ids=["dropped", "kept"])
def test_mean_over_each_axis(kit, keepdims):
    r = tk.rng()
    for shape in shapes(r):
        for axis in [0, -1]:
            call = f"a.mean(axis={axis}, keepdims={keepdims})"
            kit.check(f"out = {call} * w", {"a": tk.array(r, shape)},
                      {"w": tk.array(r, reduced(shape, axis, keepdims))},
                      hint=restore_hint(call, axis, keepdims, shape), diagnose=mean_diagnose(shape[axis], call))


def test_mean_of_everything(kit):
    r = tk.rng()
    shape = shapes(r)[0]
    n = int(np.prod(shape))
    kit.check("out = a.mean() * 3", {"a": tk.array(r, shape)}, diagnose=mean_diagnose(n, "a.mean()"),
              hint=restore_hint("a.mean()", None, False, shape))
