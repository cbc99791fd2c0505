"""Task tanh-exp: tanh() and exp() forward and backward.

Uses only tanh(), exp() and + (a learner may build tanh from exp; inputs stay in |x| <= 3 and
away from 0, where every formula is accurate).
"""

import math

import pytest
from ugrad_quest.testkit import checks, graphs
from ugrad_quest.testkit.checks import Kit, fmt

pytestmark = pytest.mark.task("tanh-exp")

LARGE = 400
"""Past |x| = 355, exp(2x) overflows a float (and exp(-2x) below -355), where tanh(x) is just ±1."""


@pytest.fixture
def kit(Value):
    return Kit(Value)


def test_tanh(kit):
    r = checks.rng()
    for _ in range(3):
        checks.check_op(kit, "tanh", checks.number(r, 0.1, 3.0), form="u")


def test_exp(kit):
    r = checks.rng()
    for _ in range(3):
        checks.check_op(kit, "exp", checks.number(r, 0.1, 3.0), form="u")


def test_tanh_and_exp_of_ints(kit):
    r = checks.rng()
    checks.check_op(kit, "tanh", r.choice((1, 2, -1)), form="u")
    checks.check_op(kit, "exp", r.choice((1, 2, -1)), form="u")


def test_chains_pass_on_the_incoming_gradient(kit):
    r = checks.rng()
    for source in ("e = a.tanh(); out = e.tanh()", "e = a.exp(); out = e.tanh()", "e = a.tanh(); out = e.exp()"):
        graphs.check_program(kit, graphs.Program.parse(source, a=checks.number(r, 0.1, 1.5)))
    a, b = checks.numbers(r, 2, 0.1, 1.5)
    graphs.check_program(kit, graphs.Program.parse("e = a + b; out = e.exp()", a=a, b=b))


@graphs.random_test(30, prog=graphs.programs(graphs.TANH_EXP, shape="tree", leaves=(1, 3), steps=(1, 6)))
def test_random_expressions(kit, prog):
    graphs.check_program(kit, prog)


def test_tanh_of_large_inputs(kit, record_property):
    """Never a failure: tanh from exp(2x), as the lecture writes it, is right wherever the tasks look,
    but overflows on inputs a training run can reach; a passing report says so in a note."""
    V = kit.name
    for x in (LARGE, -LARGE):
        a = kit.new(x)
        try:
            got = kit.settle(a.tanh()).data
        except OverflowError as exc:
            shown = f"raised OverflowError{kit.where(exc)}"
        except Exception:  # noqa: BLE001 - not this test's question: the other tests report errors
            return
        else:
            if not (isinstance(got, float) and math.isnan(got)):
                continue
            shown = "gave nan"
        record_property("note", f"note: {V}({fmt(x)}).tanh() {shown}: tanh written with exp(2x) overflows once "
                                "|x| > 355, where tanh(x) is just ±1. It passes here (the micrograd lecture writes it "
                                "so), but a large input in training would stop it: math.tanh(x) has no such limit")
        return
