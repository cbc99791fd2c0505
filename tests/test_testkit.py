"""The hidden suites' helpers: the oracle, the random programs and the messages.

The oracle is checked against micrograd's README numbers and against central differences; the
program generator against the bounds it promises; check_program against fixture engines run in an
engine worker, as hidden tests see them.
"""

from __future__ import annotations

import importlib.util
import math
import sys

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ENGINES, kit_for
from ugrad_quest.testkit import checks, graphs
from ugrad_quest.testkit.oracle import Dual

FAST = settings(max_examples=60, database=None, deadline=None, suppress_health_check=list(HealthCheck))


def load_engine(name: str):
    """A fixture engine's Value, imported under a unique module name."""
    module_name = f"_fixture_engine_{name}"
    if module_name not in sys.modules:
        spec = importlib.util.spec_from_file_location(module_name, ENGINES / name / "ugrad" / "engine.py")
        module = importlib.util.module_from_spec(spec)
        sys.modules[module_name] = module
        spec.loader.exec_module(module)
    return sys.modules[module_name].Value


def readme(V, a, b):
    c = a + b
    d = a * b + b**3
    c += c + 1
    c += 1 + c + (-a)
    d += d * 2 + (b + a).relu()
    d += 3 * d + (b - a).relu()
    e = c - d
    f = e**2
    g = f / 2.0
    g += 10.0 / f
    return g


def test_oracle_reproduces_the_micrograd_readme():
    a, b = Dual.inputs([-4.0, 2.0])
    g = readme(Dual.const, a, b)
    assert (round(g.v, 4), round(g.grad(0), 4), round(g.grad(1), 4)) == (24.7041, 138.8338, 645.5773)


def test_oracle_agrees_with_micrograd_itself():
    micrograd = pytest.importorskip("micrograd.engine")
    a, b = micrograd.Value(-4.0), micrograd.Value(2.0)
    g = readme(micrograd.Value, a, b)
    g.backward()
    want = readme(Dual.const, *Dual.inputs([-4.0, 2.0]))
    assert math.isclose(g.data, want.v) and math.isclose(a.grad, want.grad(0)) and math.isclose(b.grad, want.grad(1))


@FAST
@given(prog=graphs.programs(graphs.BACKPROP + ("tanh", "exp"), shape="dag", leaves=(1, 4), steps=(1, 10),
                            reflected=True, wrapped=True, ints=True))
def test_oracle_agrees_with_central_differences(prog):
    want = prog.oracle()[-1]
    h = 1e-6
    for i, x in enumerate(prog.leaves):
        def at(value):
            leaves = list(prog.leaves)
            leaves[i] = value
            return graphs.Program(tuple(leaves), prog.steps, prog.names).oracle()[-1].v
        slope = (at(x + h) - at(x - h)) / (2 * h)
        assert math.isclose(slope, want.grad(i), rel_tol=1e-4, abs_tol=1e-5 * max(1.0, want.scale(i))), prog


@FAST
@given(data=st.data(), shape=st.sampled_from(["tree", "dag"]))
def test_generated_programs_keep_their_promises(data, shape):
    prog = data.draw(graphs.programs(graphs.BACKPROP + ("tanh", "exp"), shape=shape, leaves=(1, 4), steps=(1, 10),
                                     reflected=True, wrapped=True, ints=True))
    values = [d.v for d in prog.oracle()]
    n = len(prog.leaves)
    for j, step in enumerate(prog.steps):
        args = [values[x] if kind == "n" else float(x) for kind, x in step.args]
        out = values[n + j]
        folding = step.op == "add" and all(kind == "n" for kind, _ in step.args) and j >= len(prog.steps) - n - 12
        if not folding:
            assert abs(out) <= graphs.BOUND, prog
        if step.op == "div":
            assert abs(args[1]) >= 0.5, prog
        if step.op == "relu":
            assert abs(args[0]) >= 1e-3, prog
        if step.op == "exp":
            assert abs(args[0]) <= 3, prog
        if step.op == "pow":
            x, k = args
            assert (k == int(k) or x > 0) and (k > 0 or abs(x) >= 0.2), prog
    uses = prog.uses()
    assert all(u >= 1 for u in uses[:-1]), f"every value reaches the output\n{prog!r}"
    if shape == "tree":
        assert all(u <= 1 for u in uses), f"a tree uses every value once\n{prog!r}"


@FAST
@given(prog=graphs.programs(graphs.BACKPROP + ("tanh", "exp"), shape="dag", reflected=True, wrapped=True, ints=True))
def test_program_text_parses_back_to_the_same_program(prog):
    source = "\n".join(prog.line(j) for j in range(len(prog.steps)))
    again = graphs.Program.parse(source, **dict(zip(prog.names, prog.leaves)))
    assert again == prog


@pytest.mark.parametrize("name", ["iterative_closures", "iterative_slots", "local_grads_kahn", "tanh_via_exp",
                                  "closures_recursive"])
def test_correct_engines_pass_random_graphs_through_the_worker(name, tmp_path):
    kit = kit_for(ENGINES / name, tmp_path)

    @FAST
    @given(prog=graphs.programs(graphs.BACKPROP + ("tanh", "exp"), shape="dag", leaves=(1, 4), steps=(1, 10),
                                reflected=True, wrapped=True, ints=True))
    def check(prog):
        graphs.check_program(kit, prog)

    check()
    kit.engine.close()


def test_a_wrong_engine_is_caught_with_the_graph_in_the_message(tmp_path):
    kit = kit_for(ENGINES / "wrong_topo_order", tmp_path)
    prog = graphs.Program.parse("s = a * b; t = s * 3; u = t * 2; out = s + u", a=1.5, b=-0.5)
    with pytest.raises(AssertionError) as caught:
        graphs.check_program(kit, prog)
    message = str(caught.value)
    assert message.startswith("out.backward() gave a.grad = -0.5 (expected -3.5), b.grad = 1.5 (expected 10.5)")
    assert "\n  a = Value(1.5)\n  b = Value(-0.5)\n  s = a * b\n  t = s * 3\n  u = t * 2\n  out = s + u" in message


def test_a_broken_operation_is_named_before_the_graph_it_breaks(tmp_path):
    kit = kit_for(ENGINES / "wrong_pow_derivative", tmp_path)
    prog = graphs.Program.parse("e = a + b; out = e ** 3", a=0.5, b=0.25)
    with pytest.raises(AssertionError) as caught:
        graphs.check_program(kit, prog)
    first, rest = str(caught.value).split("\n", 1)
    assert "d(x**k)/dx = k * x**(k-1)" in first and first.endswith("(see task more-ops)")
    assert rest.startswith("It also breaks this graph (out.backward() gave a.grad = ")


ONLY_ADD = """
class OnlyAdd:
    def __init__(self, data):
        self.data = data
        self.grad = 0

    def __add__(self, other):
        return OnlyAdd(self.data + other.data)

Value = OnlyAdd
"""


@pytest.fixture(scope="module")
def only_add(tmp_path_factory):
    from conftest import write_engine

    root = tmp_path_factory.mktemp("only-add")
    write_engine(root / "ws", ONLY_ADD)
    kit = kit_for(root / "ws", root)
    yield kit
    kit.engine.close()


@pytest.mark.parametrize("expr, fn, expected", [
    ("2 + a", lambda a: 2 + a, "2 + a raised TypeError: OnlyAdd has no __radd__"),
    ("a + 2", lambda a: a + 2, "a plain number reached code that expects a OnlyAdd"),
    ("a - a", lambda a: a - a, "a - a raised TypeError: OnlyAdd has no __sub__ (the - operator)"),
    ("-a", lambda a: -a, "-a raised TypeError: OnlyAdd has no __neg__"),
    ("a ** 2", lambda a: a ** 2, "a ** 2 raised TypeError: OnlyAdd has no __pow__"),
    ("a.relu()", lambda a: a.relu(), "a.relu() raised AttributeError: OnlyAdd has no relu() method: add relu()"),
    ("a.tanh()", lambda a: a.tanh(), "OnlyAdd has no tanh() method: add tanh() and exp()"),
])
def test_kit_names_what_is_missing(expr, fn, expected, only_add):
    a = only_add.V(1.5)
    with pytest.raises(AssertionError) as caught:
        only_add.do(expr, lambda: fn(a))
    assert expected in str(caught.value)


def test_an_error_inside_the_learners_code_names_its_file_and_line(only_add):
    a = only_add.V(1.5)
    with pytest.raises(AssertionError) as caught:
        only_add.do("a + 2", lambda: a + 2)
    assert "a + 2 raised AttributeError: 'int' object has no attribute 'data' (ugrad/engine.py, line 8)" \
        in str(caught.value)


def test_a_failure_that_comes_and_goes_keeps_its_own_message():
    from hypothesis.errors import FlakyFailure

    def flaky_test(kit):
        raise FlakyFailure("Hypothesis found a flaky failure", [AssertionError("a.grad = 1, expected 2")])

    wrapped = graphs._unflaky(flaky_test)
    with pytest.raises(AssertionError) as caught:
        wrapped(None)
    assert str(caught.value).startswith("a.grad = 1, expected 2\n(On the same graph this failed only some of the time")


def test_numbers_are_shown_as_a_learner_writes_them():
    shown = [checks.fmt(x) for x in (3, 1.5, 2.0, 1 / 3, -2.4e-07, 0.0)]
    assert shown == ["3", "1.5", "2", "0.333333", "-2.4e-07", "0"]
    assert checks.fmt2(1.0000001, 1.0000002) == ("1.0000001", "1.0000002")


GREEDY = """
class Value:
    def __init__(self, data):
        self.data = data
        self.grad = 0

    def __add__(self, other):
        self.scratch = bytearray(8 * 2**30)
        return Value(self.data + other.data)
"""


def test_running_out_of_memory_in_an_operation_is_told_with_the_limit(tmp_path):
    from conftest import write_engine

    write_engine(tmp_path / "ws", GREEDY)
    kit = kit_for(tmp_path / "ws", tmp_path)
    a, b = kit.new(1.5, "a"), kit.new(2.5, "b")
    with pytest.raises(AssertionError) as caught:
        kit.do("c = a + b", lambda: a + b)
    kit.engine.close()
    assert str(caught.value) == ("c = a + b raised MemoryError (ugrad/engine.py, line 8). it ran out of memory: the hidden "
                                 "tests let your code use at most 4 GiB; does an operation allocate far more than it needs?")
