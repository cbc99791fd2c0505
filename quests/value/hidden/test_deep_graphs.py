"""Task deep-graphs (bonus): backward() through 10,000 nodes without hitting the recursion limit.

Uses only + and * . backward() runs in the engine worker at the recursion limit Python had there
before the learner's code was imported (a learner who raised it at import gains nothing).
"""

import pytest

from ugrad_quest.testkit import checks
from ugrad_quest.testkit.checks import Kit, close, fail, fmt, fmt2
from ugrad_quest.testkit.oracle import Dual

pytestmark = pytest.mark.task("deep-graphs")

N = 10_000


@pytest.fixture
def kit(Value):
    return Kit(Value)


def _backward(kit, out, what):
    """out.backward() at the recursion limit Python had before the learner's code was imported."""
    baseline = kit.engine.hello.get("recursion_limit")
    try:
        after = kit.engine.backward_at_baseline_limit(out)
    except RecursionError as exc:
        if kit.rust:
            fail(f"backward() on {what}: {exc}; build the topological order with an explicit stack (a Vec "
                 "used as a stack) or Kahn's algorithm, not recursion")
        fail(f"backward() hit Python's recursion limit on {what}: build the topological order with an "
             "explicit stack (a loop), not recursion")
    except Exception as exc:
        fail(kit.explain(exc, f"backward() on {what}"))
    if after != baseline:
        fail(f"backward() changed the recursion limit from {baseline} to {after}: do not call "
             "sys.setrecursionlimit, build the topological order with an explicit stack (a loop) instead")


def test_long_chain(kit):
    r = checks.rng()
    x0 = checks.number(r, 0.5, 2.0)
    factor = 1 + r.choice((1, -1)) * r.randint(1, 9) / 100_000  # stays near 1 over 10,000 steps

    def chain(x):
        for i in range(N // 2):
            x = x * factor
            x = x + 1
        return x

    a = kit.new(x0)
    try:  # the same chain, built in the engine worker in one go
        out = kit.settle(kit.engine.fold(a, [("*", factor), ("+", 1)], N // 2))
    except Exception as exc:
        fail(kit.explain(exc, "building a chain of 10,000 + and * nodes"))
    want = chain(Dual.inputs([x0])[0])
    what = f"a chain of {N:,} nodes (x = x * {factor!r}; x = x + 1, repeated)"
    _backward(kit, out, what)
    got = kit.grad(a, "a")
    if not close(got, want.grad(0)):
        g, e = fmt2(got, want.grad(0))
        fail(f"backward() on {what} gave a.grad = {g}, expected {e}")


def test_long_sum_of_one_value(kit):
    r = checks.rng()
    x0, y0 = checks.numbers(r, 2)
    a, b = kit.new(x0, "a"), kit.new(y0, "b")
    try:
        out = kit.settle(kit.engine.fold(a, [("+", b)], N))  # out = a; out = out + b, N times
    except Exception as exc:
        fail(kit.explain(exc, "building a chain of 10,000 + nodes"))
    what = f"a chain of {N:,} nodes (x = a; x = x + b, repeated)"
    _backward(kit, out, what)
    ga, gb = kit.grad(a, "a"), kit.grad(b, "b")
    if not (close(ga, 1) and close(gb, N)):
        fail(f"backward() on {what} gave a.grad = {fmt(ga)} and b.grad = {fmt(gb)}, expected 1 and {N}")
