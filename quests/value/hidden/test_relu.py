"""Task relu: relu() forward and backward on both sides of 0 (never at 0 itself).

Uses only relu(), + and * by a plain number; the * test is built so that swapped mul gradients
give the same result, so only a relu bug fails this task.
"""

import pytest
from ugrad_quest.testkit import checks, graphs
from ugrad_quest.testkit.checks import Kit

pytestmark = pytest.mark.task("relu")


@pytest.fixture
def kit(Value):
    return Kit(Value)


def test_relu_of_a_positive_value(kit):
    r = checks.rng()
    for _ in range(2):
        checks.check_op(kit, "relu", checks.number(r, 0.1, 3.0, signed=False), form="u")


def test_relu_of_a_negative_value(kit):
    r = checks.rng()
    for _ in range(2):
        checks.check_op(kit, "relu", -checks.number(r, 0.1, 3.0, signed=False), form="u")


def test_relu_of_ints(kit):
    r = checks.rng()
    checks.check_op(kit, "relu", r.choice((2, 3, 5)), form="u")
    checks.check_op(kit, "relu", r.choice((-2, -3, -5)), form="u")


def test_relu_passes_on_the_incoming_gradient(kit):
    # out = relu(a) * c with c == a.data: relu must multiply its local gradient by out.grad (= c).
    r = checks.rng()
    for sign in (1, -1):
        x = sign * checks.number(r, 0.3, 3.0, signed=False)
        graphs.check_program(kit, graphs.Program.parse(f"r = a.relu(); out = r * {x!r}", a=x))


def test_relu_of_a_sum(kit):
    r = checks.rng()
    for sign in (1, -1):
        x, y = checks.numbers(r, 2, 0.2, 2.0, signed=False)
        b = y if sign > 0 else -(x + y)  # a + b is x + y > 0, or -y < 0
        graphs.check_program(kit, graphs.Program.parse("e = a + b; f = e.relu(); out = f + 2", a=x, b=b))


@graphs.random_test(25, prog=graphs.programs(graphs.RELU, shape="tree", leaves=(1, 4), steps=(1, 6)))
def test_random_expressions(kit, prog):
    graphs.check_program(kit, prog)
