"""Task tanh-exp: tanh() and exp() forward and backward.

Uses only tanh(), exp() and + (a learner may build tanh from exp; inputs stay in |x| <= 3 and
away from 0, where every formula is accurate).
"""

import pytest
from ugrad_quest.testkit import checks, graphs
from ugrad_quest.testkit.checks import Kit

pytestmark = pytest.mark.task("tanh-exp")


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
