"""The hidden suites' helpers: the oracle, the random programs and the messages.

The oracle is checked against micrograd's README numbers and against central differences; the
program generator against the bounds it promises; check_program against fixture engines run in an
engine worker, as hidden tests see them.
"""

from __future__ import annotations

import importlib.util
import math
import random
import re
import subprocess
import sys
import warnings

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from helpers import ENGINES, QUESTS, kit_for
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
                            reflected=True, wrapped=True, ints=True).strategy())
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
                                     reflected=True, wrapped=True, ints=True).strategy())
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
@given(prog=graphs.programs(graphs.BACKPROP + ("tanh", "exp"), shape="dag", reflected=True, wrapped=True,
                            ints=True).strategy())
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
                                reflected=True, wrapped=True, ints=True).strategy())
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
    # Learner code whose visiting order comes from iterating a set fails a graph only some of the time.
    calls = []

    @graphs.random_test(5, prog=graphs.programs(graphs.ADD_MUL))
    def flaky_test(kit, prog):
        calls.append(prog)
        if len(calls) == 1:
            raise AssertionError("a.grad = 1, expected 2")

    with pytest.raises(AssertionError) as caught:
        flaky_test(None)
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


# -- random tests: coverage, shrinking, cost ----------------------------------------------------------------
COVERAGE = {
    # hidden test: (programs per run, what every run shows), as Programs.features names it
    "test_add_mul::test_random_expressions": (30, {
        "a + b", "a + 2", "2 + a", "a * b", "a * 2", "2 * a", "add needs out.grad", "mul needs out.grad",
        "int leaf"}),
    "test_more_ops::test_random_expressions": (50, {
        "a + b", "a + 2", "a - b", "a - 2", "2 - a", "a / b", "a / 2", "2 / a", "a ** 2", "a ** 0.5", "-a",
        "add needs out.grad", "sub needs out.grad", "div needs out.grad", "pow needs out.grad",
        "neg needs out.grad", "int leaf"}),
    "test_relu::test_random_expressions": (25, {
        "a + b", "a + 2", "relu(a > 0)", "relu(a < 0)", "add needs out.grad", "relu needs out.grad"}),
    "test_tanh_exp::test_random_expressions": (30, {
        "a + b", "a + 2", "a.tanh()", "a.exp()", "add needs out.grad", "tanh needs out.grad",
        "exp needs out.grad"}),
    "test_backprop::test_random_graphs": (80, {
        "a + b", "a + 2", "Value(2) + a", "a - b", "a - 2", "Value(2) - a", "a * b", "a * 2", "Value(2) * a",
        "a / b", "a / 2", "Value(2) / a", "a ** 2", "a ** 0.5", "-a", "relu(a > 0)", "relu(a < 0)",
        *(f"{op} needs out.grad" for op in graphs.BACKPROP),
        "one value on both sides", "leaf used twice", "node used twice", "node used at two depths"}),
}


def hidden_random_tests() -> dict[str, tuple]:
    """{"file::test": (Programs, max_examples)} for every random test of the value quest's hidden suite."""
    found = {}
    for path in sorted((QUESTS / "value" / "hidden").glob("test_*.py")):
        spec = importlib.util.spec_from_file_location(f"_hidden_value_{path.stem}", path)
        module = importlib.util.module_from_spec(spec)
        with warnings.catch_warnings():  # the judge's plugin registers the task marks, not this session
            warnings.simplefilter("ignore", pytest.PytestUnknownMarkWarning)
            spec.loader.exec_module(module)
        for name, test in vars(module).items():
            if hasattr(test, "random_programs"):
                found[f"{path.stem}::{name}"] = test.random_programs
    return found


def test_every_run_of_a_random_test_shows_every_shape_and_operation_it_promises():
    tests = hidden_random_tests()
    assert sorted(tests) == sorted(COVERAGE)
    for name, (spec, runs) in tests.items():
        want_runs, want = COVERAGE[name]
        assert (runs, spec.promised()) == (want_runs, want), name
        for seed in range(20):
            drawn = [prog for prog, _ in spec.examples(runs, random.Random(seed))]
            shown = set().union(*map(spec.features, drawn))
            assert want <= shown, f"{name}, seed {seed}: never showed {sorted(want - shown)}"
            assert len({p.text() for p in drawn}) == runs, f"{name}, seed {seed}: a program came twice"
            if spec.shape == "tree":
                assert all(max(p.uses()) <= 1 for p in drawn), f"{name}, seed {seed}: a tree reused a value"


def test_features_name_what_a_program_shows():
    spec = graphs.programs(graphs.BACKPROP, shape="dag", reflected=True, wrapped=True)
    prog = graphs.Program.parse("s = a * b; t = s * 3; u = 2 - t; v = u.relu(); out = s + v", a=1.5, b=-0.5)
    assert spec.features(prog) == {
        "a * b", "a * 2", "2 - a", "a + b", "relu(a > 0)", "node used twice", "node used at two depths",
        "mul needs out.grad"}  # u = 4.25 > 0: relu passes out.grad = 1 on to u
    prog = graphs.Program.parse("e = a + a; f = e.relu(); g = f - 3; h = g.relu(); out = h ** 2", a=1)
    assert spec.features(prog) == {  # g = -1: the second relu passes nothing back
        "int leaf", "a + b", "one value on both sides", "relu(a > 0)", "relu(a < 0)", "a - 2", "a ** 2",
        "add needs out.grad", "relu needs out.grad", "sub needs out.grad"}


def test_a_failing_random_test_reports_the_smallest_failing_program_and_its_seed():
    spec = graphs.programs(graphs.BACKPROP)
    seen = []

    @graphs.random_test(40, prog=spec)
    def fails_on_division(prog):
        seen.append(prog)
        if any(step.op == "div" for step in prog.steps):
            raise AssertionError(f"a division, in this graph:\n{prog.text()}")

    with pytest.raises(AssertionError) as caught:
        fails_on_division()
    # Most often "a = Value(0.2); out = a / 2" or "a = Value(0.5); out = a / a" (the fewest, lowest
    # choices: 0.2 / 0.2 is no division, |x| >= 0.5), at times "e = a + 2; out = e / e", from which
    # only a larger choice leads on: a few lines in any case, from up to 4 leaves and 8 steps drawn.
    head, *listing = str(caught.value).split("\n")
    assert head == "a division, in this graph:" and " / " in listing[-1]
    assert len(listing) <= 4 and sum("Value(" not in line for line in listing) <= 2, listing
    # The note names the seed: the same programs, in the same order, up to the first failing one.
    (note,) = caught.value.__notes__
    seed = int(re.search(r"random\.Random\((\d+)\)", note)[1])
    first = next(i for i, p in enumerate(seen) if any(s.op == "div" for s in p.steps))
    again = [p for p, _ in spec.examples(40, random.Random(seed))][:first + 1]
    assert again == seen[:first + 1] and note.startswith("random programs: Programs(ops=('add', 'sub'")


def test_a_bug_found_by_random_graphs_is_shown_on_the_smallest_graph(tmp_path):
    kit = kit_for(ENGINES / "overwrite_grad", tmp_path)

    @graphs.random_test(80, prog=graphs.programs(graphs.BACKPROP, shape="dag", leaves=(1, 4), steps=(2, 10),
                                                 wrapped=True))
    def check(prog):
        graphs.check_program(kit, prog)

    with pytest.raises(AssertionError) as caught:
        check()
    kit.engine.close()
    message = str(caught.value)
    assert message.startswith("a + a gave a.grad = 1, expected 2: gradients must accumulate (+=), not overwrite (=)")
    assert message.endswith("It also breaks this graph (out.backward() gave a.grad = 1 (expected 4)):\n"
                            "  a = Value(0.2)\n  e = a + a\n  out = e + e")


def test_drawing_random_programs_needs_no_hypothesis():
    # The judge runs every random test without importing hypothesis (its import and its drawing cost
    # the judge about half of a value check's CPU time).
    code = ("import sys; from ugrad_quest.testkit import graphs\n"
            "t = graphs.random_test(80, prog=graphs.programs(graphs.BACKPROP, shape='dag'))(lambda prog: None)\n"
            "t(); print(sorted(m for m in sys.modules if m.split('.')[0] == 'hypothesis'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out == "[]\n"
