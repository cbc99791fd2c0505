"""Task logsumexp: log(sum(exp(x))) along an axis, computed stably (m + log(sum(exp(x - m))) with m the
maximum), so logits of 1000 and of -1000 give finite numbers; its gradient is the softmax of x along
the axis, times the upstream gradient."""

import numpy as np
import pytest
from ugrad_quest.testkit import tensors as tk

pytestmark = pytest.mark.task("logsumexp")

STABLE = ("exp(1000) overflows float64 to inf (and exp(-1000) underflows to 0, whose log is -inf): subtract the "
          "maximum along the axis first, m = x.max(axis, keepdims=True), and compute m + log(sum(exp(x - m)))")
SOFTMAX = ("the gradient of logsumexp is the softmax of x along the axis, exp(x - out) with out kept as size 1 "
           "on that axis, times out.grad broadcast back over the axis")


@pytest.fixture
def kit(Tensor):
    return tk.TensorKit(Tensor)


def diagnose(res: tk.Result, name: str) -> str:
    if name == "out":
        if not np.all(np.isfinite(res.out)):
            return f"out has {'nan' if np.any(np.isnan(res.out)) else 'inf'} in it: " + STABLE
        return ""
    got = res.grads[name]
    if not np.all(np.isfinite(got)):
        return "the gradient has inf or nan in it: compute the softmax as exp(x - out), never exp(x) / sum(exp(x)); " + SOFTMAX
    return SOFTMAX


@pytest.mark.parametrize("call", ["a.logsumexp()", "a.logsumexp(axis=-1)", "a.logsumexp(axis=0)",
                                  "a.logsumexp(axis=1, keepdims=True)", "a.logsumexp(axis=0, keepdims=True)"])
def test_value_and_gradient(kit, call):
    r = tk.rng()
    shape = tuple(tk.dims(r, 2))
    x = tk.array(r, shape)
    out_shape = tk.Dual(x, np.zeros((1, *shape))).logsumexp(**_kwargs(call)).v.shape
    kit.check(f"out = {call} * w", {"a": x}, {"w": tk.array(r, out_shape)}, hint=SOFTMAX, diagnose=diagnose)


def test_a_vector_and_a_3d_tensor(kit):
    r = tk.rng()
    n = tk.dims(r, 1, lo=3)[0]
    kit.check("out = a.logsumexp() * 2", {"a": tk.array(r, (n,))}, hint=SOFTMAX, diagnose=diagnose)
    shape = tuple(tk.dims(r, 3))
    kit.check("out = a.logsumexp(axis=1) * w", {"a": tk.array(r, shape)},
              {"w": tk.array(r, (shape[0], shape[2]))}, hint=SOFTMAX, diagnose=diagnose)


@pytest.mark.parametrize("offset", [1000.0, -1000.0], ids=["large", "very-negative"])
def test_stable_for_large_logits(kit, offset):
    r = tk.rng()
    shape = tuple(tk.dims(r, 2))
    x = tk.array(r, shape) + offset
    kit.check("out = a.logsumexp(axis=-1) * w", {"a": x}, {"w": tk.array(r, (shape[0],))},
              hint=STABLE, diagnose=diagnose)


def _kwargs(call: str) -> dict:
    inside = call[call.index("(") + 1:-1]
    return {k.strip(): eval(v) for k, v in (p.split("=") for p in inside.split(",") if p.strip())}  # noqa: S307
