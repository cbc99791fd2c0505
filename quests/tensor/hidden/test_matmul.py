"""Task matmul: a @ b for 2-D matrices, with an ndarray on either side. For C = A @ B the gradients are
dA = dC @ B.T and dB = A.T @ dC; sizes are all different, so an untransposed gradient cannot fit, and
square matrices then check the numbers where it would fit."""

import numpy as np
import pytest
from ugrad_quest.testkit import tensors as tk

pytestmark = pytest.mark.task("matmul")


@pytest.fixture
def kit(Tensor):
    return tk.TensorKit(Tensor)


def vjp_hint(n, k, m) -> str:
    return (f"for out = a @ b with a ({n}, {k}) and b ({k}, {m}), a.grad += out.grad @ b.data.T, ({n}, {m}) @ "
            f"({m}, {k}), and b.grad += a.data.T @ out.grad, ({k}, {n}) @ ({n}, {m}): each gradient has its "
            "input's shape, and the other factor is transposed")


def diagnose(res: tk.Result, name: str) -> str:
    """Name an untransposed factor when the numbers show it."""
    if name not in ("a", "b") or "w" not in (res.consts or {}):
        return ""
    a, b, w = res.arrays.get("a"), res.arrays.get("b"), res.consts["w"]
    got = res.grads[name]
    wrong = {"a": [w @ b, (w.T @ b.T).T if w.shape[0] == b.shape[0] else None],
             "b": [a @ w, (a.T @ w).T]}[name]
    for candidate in wrong:
        if candidate is not None and candidate.shape == got.shape and tk.allclose(got, candidate):
            right = "out.grad @ b.data.T" if name == "a" else "a.data.T @ out.grad"
            return f"{name}.grad looks like the matrix product without its transpose: it must be {right}"
    return ""


def test_rectangular(kit):
    r = tk.rng()
    n, k, m = tk.dims(r, 3)
    kit.check("out = (a @ b) * w", {"a": tk.array(r, (n, k)), "b": tk.array(r, (k, m))},
              {"w": tk.array(r, (n, m))}, hint=vjp_hint(n, k, m), diagnose=diagnose)


def test_square(kit):
    r = tk.rng()
    n = tk.dims(r, 1, lo=3)[0]
    kit.check("out = (a @ b) * w", {"a": tk.array(r, (n, n)), "b": tk.array(r, (n, n))},
              {"w": tk.array(r, (n, n))}, hint=vjp_hint(n, n, n), diagnose=diagnose)


def test_vector_shaped_matrices(kit):
    # A row times a column, and a column times a row: (1, k) @ (k, 1) and (k, 1) @ (1, k).
    r = tk.rng()
    k = tk.dims(r, 1, lo=3)[0]
    kit.check("out = a @ b", {"a": tk.array(r, (1, k)), "b": tk.array(r, (k, 1))}, hint=vjp_hint(1, k, 1))
    kit.check("out = (b @ a) * w", {"a": tk.array(r, (1, k)), "b": tk.array(r, (k, 1))},
              {"w": tk.array(r, (k, k))}, hint=vjp_hint(k, 1, k))


def test_an_ndarray_on_either_side(kit):
    r = tk.rng()
    n, k, m = tk.dims(r, 3)
    kit.check("out = (a @ v) * w", {"a": tk.array(r, (n, k))}, {"v": tk.array(r, (k, m)), "w": tk.array(r, (n, m))},
              hint=f"a @ v with v a numpy array: wrap v in a Tensor; {vjp_hint(n, k, m)}")
    kit.check("out = (v @ b) * w", {"b": tk.array(r, (k, m))}, {"v": tk.array(r, (n, k)), "w": tk.array(r, (n, m))},
              hint="v @ b with v a numpy array calls b.__rmatmul__(v): wrap v in a Tensor and return Tensor(v) @ b")


def test_a_chain_of_products(kit):
    r = tk.rng()
    n, k, m = tk.dims(r, 3)
    kit.check("out = ((a @ b) @ c) * w", {"a": tk.array(r, (n, k)), "b": tk.array(r, (k, m)), "c": tk.array(r, (m, n))},
              {"w": tk.array(r, (n, n))}, hint=vjp_hint(n, k, m), diagnose=diagnose)
