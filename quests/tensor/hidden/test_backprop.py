"""Task backprop: backward() over whole graphs of tensors: a tensor used twice gets the sum of both
gradients (+=), each node's step runs after every node that uses it (reverse topological order), on
diamonds, on a node used at several depths, and on random graphs of every operation."""

import pytest
from ugrad_quest.testkit import tensors as tk

pytestmark = pytest.mark.task("backprop")

ACCUMULATE = ("a tensor used twice gets a gradient from each use, and they add up: every backward step must add "
              "into .grad (self.grad += ...), never assign it (self.grad = ...)")
ORDER = ("backward() must run a node's step only after every node that uses it has added its part to its .grad: "
         "go through the nodes in reversed topological order (each node after its inputs, built depth-first "
         "with a visited set), running each node's step exactly once")


@pytest.fixture
def kit(Tensor):
    return tk.TensorKit(Tensor)


def unless_an_op(kit, text: str):
    """The hint for a failing graph: a single operation that goes wrong alone is named first (its own
    task says how), else ``text`` (order or accumulation)."""
    return lambda: kit.probe() or text


def overwritten(*uses: str):
    """A gradient that holds only one use's share (the others overwritten) names the bug."""
    def diagnose(res: tk.Result, name: str) -> str:
        if name == "out":
            return ""
        got = res.grads[name]
        for code in uses:
            _, alone = tk.expected(code, res.arrays, res.consts)
            if got.shape == alone[name].shape and tk.allclose(got, alone[name]):
                return f"{name}.grad holds only the gradient of {code.removeprefix('out = ')}: {ACCUMULATE}"
        return ACCUMULATE
    return diagnose


def test_tensor_times_itself(kit):
    r = tk.rng()
    shape = tuple(tk.dims(r, 2))
    kit.check("out = (a * a) * w", {"a": tk.array(r, shape)}, {"w": tk.array(r, shape)},
              diagnose=overwritten("out = (a * a.data) * w"), hint=ACCUMULATE)


def test_tensor_used_in_two_operations(kit):
    r = tk.rng()
    shape = tuple(tk.dims(r, 2))
    kit.check("out = a * b + a.tanh()", {"a": tk.array(r, shape), "b": tk.array(r, shape)},
              diagnose=overwritten("out = a * b", "out = a.tanh()"), hint=ACCUMULATE)


def test_tensor_added_to_itself_after_a_sum(kit):
    r = tk.rng()
    shape = tuple(tk.dims(r, 2))
    kit.check("out = a.sum(axis=0) + a.sum(axis=0)", {"a": tk.array(r, shape)},
              diagnose=overwritten("out = a.sum(axis=0)"), hint=ACCUMULATE)


def test_diamond(kit):
    r = tk.rng()
    shape = tuple(tk.dims(r, 2))
    kit.check("s = a * b; p = s.tanh(); q = s * 2 + 1; out = p * q",
              {"a": tk.array(r, shape), "b": tk.array(r, shape)}, hint=unless_an_op(kit, "s feeds both p and q: " + ORDER))


def test_node_used_at_different_depths(kit):
    # out uses s directly and through t and u: a breadth-first walk from out visits s too early.
    r = tk.rng()
    m, n = tk.dims(r, 2)
    kit.check("s = a @ b; t = (s * 3).tanh(); u = t.sum(axis=1, keepdims=True) * 2; out = s + u",
              {"a": tk.array(r, (m, n)), "b": tk.array(r, (n, m))},
              hint=unless_an_op(kit, "s is used by out and, through t and u, again: " + ORDER))


def test_stacked_diamonds(kit):
    r = tk.rng()
    shape = tuple(tk.dims(r, 2))
    kit.check("e = a * b; f = (e + c).tanh(); g = e * f; h = g - f; i = (h * e).tanh(); out = i + g",
              {"a": tk.array(r, shape), "b": tk.array(r, shape), "c": tk.array(r, shape)},
              hint=unless_an_op(kit, "e, f and g are each used twice: " + ORDER))


def test_random_graphs(kit):
    r = tk.rng()
    for _ in range(4):
        code, shapes = tk.random_program(r)
        kit.check(code, {n: tk.array(r, s) for n, s in shapes.items()},
                  hint=unless_an_op(kit, "on this random graph: " + ORDER + "; and " + ACCUMULATE))
