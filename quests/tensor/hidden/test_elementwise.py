"""Task elementwise: Tensor(data) keeps float64 arrays, and every element-wise operation on equal
shapes is right forward and backward (its vector-Jacobian product), from an output of any shape.

Plain numbers appear only as exponents here: a number or an array on the other side of +, -, *, / is
the business of task broadcast.
"""

import re

import numpy as np
import pytest
from ugrad_quest.testkit import tensors as tk
from ugrad_quest.testkit.checks import fail

pytestmark = pytest.mark.task("elementwise")

# What each operation's backward step adds into its inputs' grads, named in a failure.
OPS = {
    "add": ("out = a + b", "a.grad += out.grad and b.grad += out.grad"),
    "sub": ("out = a - b", "a.grad += out.grad and b.grad -= out.grad"),
    "mul": ("out = a * b", "a.grad += b.data * out.grad and b.grad += a.data * out.grad"),
    "div": ("out = a / b", "a / b is a * b ** -1: a.grad += out.grad / b.data and b.grad -= a.data / b.data ** 2 * out.grad"),
    "neg": ("out = -a", "-a is a * -1: a.grad -= out.grad"),
    "square": ("out = a ** 2", "a.grad += k * a.data ** (k - 1) * out.grad, here 2 * a.data * out.grad"),
    "inverse": ("out = a ** -1", "a.grad += k * a.data ** (k - 1) * out.grad, here -a.data ** -2 * out.grad"),
    "sqrt": ("out = p ** 0.5", "p.grad += k * p.data ** (k - 1) * out.grad, here 0.5 * p.data ** -0.5 * out.grad"),
    "relu": ("out = a.relu()", "a.grad += (a.data > 0) * out.grad: the gradient passes only where the output is positive"),
    "tanh": ("out = a.tanh()", "a.grad += (1 - out.data ** 2) * out.grad"),
    "exp": ("out = a.exp()", "a.grad += out.data * out.grad"),
    "log": ("out = p.log()", "p.grad += out.grad / p.data"),
}


@pytest.fixture
def kit(Tensor):
    return tk.TensorKit(Tensor)


def inputs(r, code: str, shape) -> dict:
    """The arrays the program names: a and b signed, p positive (for log and square roots)."""
    names = [n for n in ("a", "b", "p") if re.search(rf"\b{n}\b", code)]
    return {n: tk.array(r, shape, positive=(n == "p")) for n in names}


def test_a_tensor_keeps_float64_arrays(kit):
    r = tk.rng()
    m, n = tk.dims(r, 2)
    ints = [[r.randint(-5, 5) for _ in range(n)] for _ in range(m)]
    number = round(r.uniform(-3, 3), 2)
    made = f"t = {kit.name}({ints}); s = {kit.name}({number!r})"
    try:
        t, s = kit.T(ints), kit.T(number)
        kit.engine.flush()
    except Exception as exc:  # noqa: BLE001 - the learner's __init__ raised
        fail(kit.explain(exc, made))
    try:
        data, grad, scalar = tk.read(kit.engine, [(t, "data", "t"), (t, "grad", "t"), (s, "data", "s")])
    except AssertionError as exc:
        fail(f"{made}: {exc}")
    if data.shape != (m, n) or not np.array_equal(data, np.array(ints, dtype=float)):
        fail(f"{made} gave t.data = {tk.show(data)}, expected the same numbers as a float64 array of shape ({m}, {n})")
    if grad.shape != (m, n) or np.any(grad != 0):
        fail(f"{made} gave t.grad = {tk.show(grad)}, expected zeros of t's shape ({m}, {n}) until backward() "
             "adds into it (np.zeros_like(self.data))")
    if scalar.shape != ():
        fail(f"{made} gave s.data of shape {tk.shape_text(scalar.shape)}, expected a 0-d array, shape (), "
             "as np.asarray(number) gives")
    try:
        shape = t.shape
    except Exception as exc:  # noqa: BLE001
        fail(kit.explain(exc, f"{made}; t.shape"))
    if not isinstance(shape, (tuple, list)) or tuple(shape) != (m, n):
        fail(f"{made}; t.shape is {shape!r}, expected ({m}, {n}), the shape of t.data")


def test_a_tensor_of_an_ndarray(kit):
    r = tk.rng()
    x = tk.array(r, tuple(tk.dims(r, 2)))
    made = f"t = {kit.name}(np.array({tk.show(x)}))"
    try:
        t = kit.T(x)  # made from an ndarray (numpy's, in the worker)
        kit.engine.flush()
    except Exception as exc:  # noqa: BLE001
        fail(kit.explain(exc, made))
    [data] = tk.read(kit.engine, [(t, "data", "t")])
    if data.shape != x.shape or not np.allclose(data, x, rtol=0, atol=0):
        fail(f"{made} gave t.data = {tk.show(data)}, expected the same array")


@pytest.mark.parametrize("op", list(OPS))
def test_operation_on_equal_shapes(kit, op):
    r = tk.rng()
    code, rule = OPS[op]
    shape = r.choice([(tk.dims(r, 1)[0],), tuple(tk.dims(r, 2)), tuple(tk.dims(r, 3, hi=4))])
    kit.check(code, inputs(r, code, shape), hint=rule)


def test_backward_from_an_output_of_any_shape(kit):
    # backward() seeds out.grad with ones of out's shape: a 3-D output and a 0-d one.
    r = tk.rng()
    shape = tuple(tk.dims(r, 3, hi=4))
    seed = "backward() starts from out.grad = np.ones_like(out.data), whatever out's shape"
    kit.check("out = a * b", {"a": tk.array(r, shape), "b": tk.array(r, shape)}, hint=seed)
    kit.check("out = (a * b).tanh()", {"a": tk.array(r, ()), "b": tk.array(r, ())}, hint=seed)


def test_operations_chained(kit):
    # Every tensor used once: a tensor used twice is task backprop's.
    r = tk.rng()
    shape = tuple(tk.dims(r, 2))
    kit.check("out = ((a * b).tanh() - p.log()) ** 2 / (c.exp() + q)",
              {"a": tk.array(r, shape), "b": tk.array(r, shape), "c": tk.array(r, shape),
               "p": tk.array(r, shape, positive=True), "q": tk.array(r, shape, positive=True)})
