"""Task backprop: accumulation for reused values, reverse topological order, +=, micrograd's
README expression and random graphs.

Uses +, -, *, /, ** and relu() (never tanh or exp), with plain numbers only on the right: 1 + c is
written Value(1) + c, so a missing __radd__ is the business of task add-mul alone.
"""

import pytest
from ugrad_quest.testkit import checks, graphs
from ugrad_quest.testkit.checks import Kit, close, fail, fmt, fmt2

pytestmark = pytest.mark.task("backprop")

ORDER_HINT = ("backward() must run a node's backward step only after every node that uses it has "
              "added its part to its .grad: go through the nodes in reversed topological order (build "
              "the order depth-first, with a visited set, each node after its inputs)")


@pytest.fixture
def kit(Value):
    return Kit(Value)


def test_backward_of_a_lone_value(kit):
    x = checks.number(checks.rng())
    a = kit.new(x)
    kit.backward(a, "a")
    g = kit.grad(a, "a")
    if g != 1:
        fail(f"a = {kit.name}({fmt(x)}); a.backward() gave a.grad = {fmt(g)}, expected 1: "
             "backward() starts with self.grad = 1")


def test_value_added_to_itself(kit):
    checks.check_accumulate(kit, checks.number(checks.rng()))


def test_value_multiplied_by_itself(kit):
    x = checks.number(checks.rng(), 0.3, 3.0)
    a = kit.new(x)
    c = kit.do(f"a = {kit.name}({fmt(x)}); c = a * a", lambda: a * a)
    kit.backward(c, "c")
    g = kit.grad(a, "a")
    if close(g, 2 * x):
        return
    msg = f"a = {kit.name}({fmt(x)}); c = a * a; c.backward() gave a.grad = {fmt(g)}, expected 2 * a = {fmt(2 * x)}"
    if close(g, x):
        fail(f"{msg}: a is both inputs of *, so both contributions must accumulate (+=), not overwrite (=)")
    fail(msg)


def test_intermediate_value_used_three_times(kit):
    a, b, c = checks.numbers(checks.rng(), 3, 0.3, 2.0)
    prog = graphs.Program.parse("s = a * b; t = s + c; u = s * t; out = u + s", a=a, b=b, c=c)
    graphs.check_program(kit, prog)


def test_diamond(kit):
    a, b, c = checks.numbers(checks.rng(), 3, 0.3, 2.0)
    prog = graphs.Program.parse("s = a * b; p = s * 2; q = s + c; out = p * q", a=a, b=b, c=c)
    graphs.check_program(kit, prog, hint="s feeds both p and q: " + ORDER_HINT)


def test_value_reused_at_different_depths(kit):
    # out uses s directly and through t and u: a breadth-first walk from out visits s too early.
    a, b = checks.numbers(checks.rng(), 2, 0.3, 2.0)
    prog = graphs.Program.parse("s = a * b; t = s * 3; u = t * 2; out = s + u", a=a, b=b)
    graphs.check_program(kit, prog, hint="s is used by out and, through t and u, again: " + ORDER_HINT)


def test_stacked_diamonds(kit):
    a, b, c = checks.numbers(checks.rng(), 3, 0.3, 1.5)
    prog = graphs.Program.parse(
        "e = a * b; f = e + c; g = e * f; h = g - f; i = h * e; k = i + g; out = k / 4",
        a=a, b=b, c=c)
    graphs.check_program(kit, prog, hint="e, f and g are each used twice: " + ORDER_HINT)


def test_long_chain_order(kit):
    a, b, c, d = checks.numbers(checks.rng(), 4, 0.5, 1.5)
    prog = graphs.Program.parse(
        "e = a * b; f = e + c; g = f * d; h = g - a; i = h * 0.5; k = i + b; out = k * c",
        a=a, b=b, c=c, d=d)
    graphs.check_program(kit, prog)


@pytest.mark.python_only  # a Rust Value has no +=: there x += y is x = x + y, which the other tests cover
def test_plus_equals_makes_a_new_value(kit):
    x, y = checks.numbers(checks.rng(), 2)
    a, b = kit.new(x, "a"), kit.new(y, "b")
    where = f"a = {kit.name}({fmt(x)}); b = {kit.name}({fmt(y)}); x = a; x += b"
    s = a
    try:
        s += b
        kit.settle(s)
    except Exception as exc:
        fail(kit.explain(exc, where))
    same = kit.same(s, a)
    now = kit.data(a, "a")
    if same or now != x:
        fail(f"{where} changed a (a.data went from {fmt(x)} to {fmt(now)}): += must not change a "
             f"{kit.name} in place, x += b must give a new {kit.name} like x = x + b (remove __iadd__, "
             "or make it return self + other)")
    got = kit.data(s, "x")
    if not close(got, x + y):
        g, e = fmt2(got, x + y)
        fail(f"{where} gave x.data = {g}, expected {e}")
    kit.backward(s, "x")
    ga, gb = kit.grad(a, "a"), kit.grad(b, "b")
    if not (close(ga, 1) and close(gb, 1)):
        fail(f"{where}; x.backward() gave a.grad = {fmt(ga)}, b.grad = {fmt(gb)}, expected 1 and 1")


def test_plus_equals_in_a_loop(kit):
    xs = checks.numbers(checks.rng(), 3, 0.3, 2.0)

    def f(V, a, b, c):
        total = V(0.0)
        for v in (a, b, c, a):
            total += v * v
        total += a * b
        return total

    listing = ("  total = Value(0.0)\n  for v in (a, b, c, a):\n      total += v * v\n"
               "  total += a * b\n  total.backward()")
    graphs.check_function(kit, f, dict(zip("abc", xs)), _with_leaves(kit, "abc", xs, listing),
                          probes=("add", "mul", "accumulate"),
                          hint="a is used several times: its gradients must all add up (+=), and += must build "
                               "a new Value each time")


def test_micrograd_readme_expression(kit):
    # micrograd's README example, with plain numbers on the left written as Value(...)
    # (1 + c becomes Value(1) + c), so only + - * / ** relu() of this task's Value are needed.
    def f(V, a, b):
        c = a + b
        d = a * b + b**3
        c += c + 1
        c += V(1) + c + (-a)
        d += d * 2 + (b + a).relu()
        d += V(3) * d + (b - a).relu()
        e = c - d
        f = e**2
        g = f / 2.0
        g += V(10.0) / f
        return g

    listing = ("  c = a + b\n  d = a * b + b**3\n  c += c + 1\n  c += Value(1) + c + (-a)\n"
               "  d += d * 2 + (b + a).relu()\n  d += Value(3) * d + (b - a).relu()\n  e = c - d\n"
               "  f = e**2\n  g = f / 2.0\n  g += Value(10.0) / f\n  g.backward()")
    for a, b in ((-4.0, 2.0), _readme_inputs()):
        graphs.check_function(kit, f, {"a": a, "b": b}, _with_leaves(kit, "ab", (a, b), listing),
                              probes=("add", "mul", "accumulate", "neg", "sub", "pow", "div", "relu"),
                              hint=ORDER_HINT)


def _readme_inputs():
    """Fresh a < 0 < b like the README's, with b + a and b - a away from relu's kink and e = c - d
    away from 0 (g divides by e**2)."""
    r = checks.rng()
    while True:
        a, b = -checks.number(r, 2.5, 4.0, signed=False), checks.number(r, 1.0, 2.0, signed=False)
        c = a + b
        d = a * b + b**3
        c = c + c + 1
        c = c + (1 + c + (-a))
        d = d + (d * 2 + max(b + a, 0))
        d = d + (3 * d + max(b - a, 0))
        if abs(c - d) >= 1 and (a, b) != (-4.0, 2.0):  # fresh: never the README's own numbers
            return a, b


def _with_leaves(kit, names, values, listing):
    head = "".join(f"  {n} = {kit.name}({v!r})\n" for n, v in zip(names, values))
    return head + listing


@graphs.random_test(80, prog=graphs.programs(graphs.BACKPROP, shape="dag", leaves=(1, 4), steps=(2, 10),
                                            wrapped=True))
def test_random_graphs(kit, prog):
    graphs.check_program(kit, prog)
