"""Task add-mul: + and * forward and backward, plain numbers on either side, sum().

Uses only Value(...), +, *, .data, .grad and backward(); graphs here are trees over their
intermediate nodes (only leaves are reused), so any traversal that reaches every node passes.
"""

import pytest
from ugrad_quest.testkit import checks, graphs
from ugrad_quest.testkit.checks import Kit, close, fail, fmt, fmt2

pytestmark = pytest.mark.task("add-mul")


@pytest.fixture
def kit(Value):
    return Kit(Value)


def test_value_keeps_its_number_and_grad_starts_at_zero(kit):
    r = checks.rng()
    for x in (checks.number(r), r.choice((2, 3, -2, 5))):
        a = kit.new(x)
        data, grad = kit.data(a, "a"), kit.grad(a, "a")
        if data != x:
            fail(f"{kit.name}({fmt(x)}).data is {fmt(data)}, expected {fmt(x)}: keep the number as given")
        if grad != 0:
            fail(f"{kit.name}({fmt(x)}).grad is {fmt(grad)}, expected 0: grad must start at 0")


def test_add(kit):
    r = checks.rng()
    for _ in range(3):
        checks.check_op(kit, "add", *checks.numbers(r, 2))


def test_mul(kit):
    r = checks.rng()
    for _ in range(3):
        checks.check_op(kit, "mul", *checks.numbers(r, 2))


def test_ints(kit):
    r = checks.rng()
    x, y = r.sample((2, 3, 4, -2, -3, 5), 2)
    checks.check_op(kit, "add", x, y)
    checks.check_op(kit, "mul", x, y)


def test_plain_number_on_the_right(kit):
    r = checks.rng()
    for c in (r.choice((2, 3, -4)), checks.number(r)):
        checks.check_op(kit, "add", checks.number(r), c, form="nc")
        checks.check_op(kit, "mul", checks.number(r, avoid=[c]), c, form="nc")


def test_plain_number_on_the_left(kit):
    r = checks.rng()
    for c in (r.choice((2, 3, -4)), checks.number(r)):
        checks.check_op(kit, "add", c, checks.number(r), form="cn")
        checks.check_op(kit, "mul", c, checks.number(r, avoid=[c]), form="cn")


def test_sum_of_values(kit):
    r = checks.rng()
    x, y = checks.numbers(r, 2)
    a, b = kit.new(x, "a"), kit.new(y, "b")
    where = f"a = {kit.name}({fmt(x)}); b = {kit.name}({fmt(y)}); s = sum([a, b, a])"
    try:
        s = sum([a, b, a])
        value = kit.is_value(s)
    except Exception as exc:
        fail(f"{kit.explain(exc, where)} (sum() starts from 0, so it first computes 0 + a)")
    if not value:
        fail(f"{where} gave {kit.kind(s)}, expected a {kit.name}")
    got = kit.data(s, "s")
    if not close(got, 2 * x + y):
        g, e = fmt2(got, 2 * x + y)
        fail(f"{where} gave s.data = {g}, expected {e}")
    kit.backward(s, "s")
    ga, gb = kit.grad(a, "a"), kit.grad(b, "b")
    if close(ga, 2) and close(gb, 1):
        return
    shown = f"a.grad = {fmt(ga)}, b.grad = {fmt(gb)}, expected a.grad = 2, b.grad = 1"
    if close(ga, 1) and close(gb, 1):
        fail(f"{where}; s.backward() gave {shown}: a is used twice, so gradients must accumulate (+=), "
             "not overwrite (=)")
    if ga == 0 or gb == 0:
        fail(f"{where}; s.backward() gave {shown}: sum() builds ((0 + a) + b) + a, and backward() must "
             "run the backward step of every node from s back to the inputs (reversed topological order)")
    fail(f"{where}; s.backward() gave {shown}")


def test_chain(kit):
    r = checks.rng()
    a, b, c, d = checks.numbers(r, 4)
    prog = graphs.Program.parse("e = a * b; f = e + c; g = f * d; out = g + 2", a=a, b=b, c=c, d=d)
    graphs.check_program(kit, prog)


@graphs.random_test(30, prog=graphs.programs(graphs.ADD_MUL, shape="tree", leaves=(1, 4), steps=(1, 6),
                                            reflected=True, ints=True))
def test_random_expressions(kit, prog):
    graphs.check_program(kit, prog)


@pytest.mark.rust_only  # Python's identity is `is`; a Rust Value is a handle, and clones share the node
def test_a_clone_is_the_same_node(kit):
    r = checks.rng()
    x = checks.number(r)
    a, b = kit.new(x, "a"), kit.new(x, "b")
    where = f"let a = Value::new({fmt(x)}); let b = Value::new({fmt(x)}); let c = a.clone()"
    try:
        c = kit.engine.call_method(a, "clone")
        ids = [kit.engine.call_method(v, "id") for v in (a, c, b)]
    except Exception as exc:
        fail(kit.explain(exc, where))
    if ids[0] != ids[1]:
        fail(f"{where}: a.id() is {ids[0]} but c.id() is {ids[1]}: a clone is another handle to the same node, "
             "so its id() must be the same (for an Rc inside, Rc::as_ptr(&self.0) as usize)")
    if ids[0] == ids[2]:
        fail(f"{where}: a.id() and b.id() are both {ids[0]}: two Values made by Value::new are different nodes, "
             "so their ids must differ")
    c.grad = 3.0
    if kit.grad(a, "a") != 3.0:
        fail(f"{where}; c.set_grad(3.0) left a.grad = {fmt(kit.grad(a, 'a'))}, expected 3: a clone must share "
             "the node (clone the Rc, not the numbers), or gradients never reach the Values you hold")
    c.grad = 0.0
    d = c * 2.0
    kit.backward(d, "d")
    if not close(kit.grad(a, "a"), 2.0):
        fail(f"{where}; let d = &c * 2.0; d.backward() gave a.grad = {fmt(kit.grad(a, 'a'))}, expected 2: the "
             "clone and a are one node")
