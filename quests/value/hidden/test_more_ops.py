"""Task more-ops: unary and binary -, /, ** with int and float exponents, numbers on either side.

Uses only these operations and + (never *, so a broken * does not fail this task); graphs are
trees, so accumulation and traversal order do not matter here.
"""

import pytest
from ugrad_quest.testkit import checks, graphs
from ugrad_quest.testkit.checks import Kit

pytestmark = pytest.mark.task("more-ops")


@pytest.fixture
def kit(Value):
    return Kit(Value)


# ** first: a / b is often built as a * b**-1, so a wrong ** shows up here with its own name.
def test_pow_int_exponents(kit):
    r = checks.rng()
    for k in (2, 3, -1, -2, 0, 1):
        checks.check_op(kit, "pow", checks.number(r, 0.5, 2.0), k, form="nc")


def test_pow_float_exponents(kit):
    r = checks.rng()
    for k in (0.5, 1.5, -0.5, 2.5, 2.0, -1.5):
        checks.check_op(kit, "pow", checks.number(r, 0.3, 3.0, signed=False), k, form="nc")


def test_neg(kit):
    r = checks.rng()
    checks.check_op(kit, "neg", checks.number(r), form="u")
    checks.check_op(kit, "neg", r.choice((2, -3)), form="u")


def test_sub(kit):
    r = checks.rng()
    for _ in range(3):
        checks.check_op(kit, "sub", *checks.numbers(r, 2))


def test_sub_number_on_the_right(kit):
    r = checks.rng()
    for c in (r.choice((2, 3, -1)), checks.number(r)):
        checks.check_op(kit, "sub", checks.number(r), c, form="nc")


def test_sub_number_on_the_left(kit):
    r = checks.rng()
    for c in (r.choice((2, 3, -1)), checks.number(r)):
        checks.check_op(kit, "sub", c, checks.number(r, avoid=[c]), form="cn")


def test_div(kit):
    r = checks.rng()
    for _ in range(3):
        checks.check_op(kit, "div", *checks.numbers(r, 2, 0.5))


def test_div_number_on_the_right(kit):
    r = checks.rng()
    for c in (r.choice((2, 4, -5)), checks.number(r, 0.5)):
        checks.check_op(kit, "div", checks.number(r), c, form="nc")


def test_div_number_on_the_left(kit):
    r = checks.rng()
    for c in (r.choice((2, 3, -1)), checks.number(r, 0.5)):
        checks.check_op(kit, "div", c, checks.number(r, 0.5, avoid=[c]), form="cn")


def test_chain(kit):
    r = checks.rng()
    while True:  # keep away from dividing by a number near 0 in the last step
        a, b = checks.numbers(r, 2)
        c = checks.number(r, 0.5, 2.0)
        if abs(3 - ((a - b) / c) ** 2) >= 0.5:
            break
    prog = graphs.Program.parse("e = a - b; f = e / c; g = f ** 2; h = 3 - g; k = -h; out = 1 / k",
                                a=a, b=b, c=c)
    graphs.check_program(kit, prog)


@graphs.random_test(50, prog=graphs.programs(graphs.MORE_OPS, shape="tree", leaves=(1, 3), steps=(1, 6),
                                            reflected=("sub", "div"), ints=True))
def test_random_expressions(kit, prog):
    graphs.check_program(kit, prog)
