"""Small expression programs, run on the learner's Value and on the oracle and compared.

A ``Program`` is a list of leaves (numbers) and steps, each step one operation on earlier values,
plain numbers or ``Value(number)`` constants. It reads as Python a learner can paste::

    a = Value(1.5)
    b = Value(-0.3)
    e = a * b
    f = 2 - e
    out = f.relu()

Programs come from text (``Program.parse``) for hand-picked graphs, or from hypothesis
(``programs(...)``) for random ones: every choice is drawn from hypothesis so a failure shrinks to
a small graph, and every op is chosen so the numbers stay bounded without rejecting examples
(division only by |x| >= 0.5, fractional powers only of positive bases, relu never near 0, exp
and tanh of moderate inputs; a step that would break a bound becomes ``x + 1`` or ``x - 1``).

``check_program`` runs a program on the learner's Value (in the engine worker, through the proxies of
testkit/remote.py), compares every node's .data and every leaf's .grad with the oracle, and explains
a mismatch (probing single operations for the cause).
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field

from ugrad_quest.testkit import checks
from ugrad_quest.testkit.checks import Kit, SYMBOL, close, fail, fmt, fmt2
from ugrad_quest.testkit.oracle import Dual

UNARY = ("neg", "relu", "tanh", "exp")
BINARY = ("add", "sub", "mul", "div")

# Op sets per task (tasks must not depend on each other's operations, see quests/value/quest.yaml).
ADD_MUL = ("add", "mul")
MORE_OPS = ("add", "sub", "div", "pow", "neg")
RELU = ("add", "relu")
TANH_EXP = ("add", "tanh", "exp")
BACKPROP = ("add", "sub", "mul", "div", "pow", "neg", "relu")

BOUND = 20.0  # |value| of every node stays within this
CONSTANTS = (2, 0.5, 3, -1, 1.5, -2, -0.5, 4, 2.5, -3)
EXPONENTS = (2, 3, -1, 0.5, -2, 1.5, -0.5, 2.5, 0, 1, 2.0)

LEAF_NAMES = "abcd"
NODE_NAMES = "efghijkmnpqrstuvwxyz"


@dataclass(frozen=True)
class Step:
    op: str
    args: tuple  # ('n', index) | ('c', number) | ('v', number) | ('k', exponent)


@dataclass(frozen=True)
class Program:
    leaves: tuple
    steps: tuple
    names: tuple = field(default=())

    def __post_init__(self):
        if not self.names:
            n = len(self.leaves)
            names = [LEAF_NAMES[i] if i < len(LEAF_NAMES) else f"x{i}" for i in range(n)]
            for j in range(len(self.steps)):
                names.append(NODE_NAMES[j] if j < len(NODE_NAMES) else f"n{j}")
            if self.steps:
                names[-1] = "out"
            object.__setattr__(self, "names", tuple(names))

    # -- text ----------------------------------------------------------------------------------------
    @property
    def out(self) -> str:
        return self.names[-1]

    def _operand(self, arg, value_name: str, right: bool) -> str:
        kind, x = arg
        if kind == "n":
            return self.names[x]
        if kind == "v":
            return f"{value_name}({x!r})"
        text = repr(x)
        return f"({text})" if right and kind == "c" and x < 0 else text

    def rhs(self, j: int, value_name: str = "Value") -> str:
        step = self.steps[j]
        if step.op == "neg":
            return f"-{self._operand(step.args[0], value_name, False)}"
        if step.op in ("relu", "tanh", "exp"):
            return f"{self._operand(step.args[0], value_name, False)}.{step.op}()"
        left = self._operand(step.args[0], value_name, False)
        right = self._operand(step.args[1], value_name, True)
        if step.op == "pow":
            right = repr(step.args[1][1])
        return f"{left} {SYMBOL[step.op]} {right}"

    def line(self, j: int, value_name: str = "Value") -> str:
        return f"{self.names[len(self.leaves) + j]} = {self.rhs(j, value_name)}"

    def text(self, value_name: str = "Value", indent: str = "  ") -> str:
        lines = [f"{self.names[i]} = {value_name}({x!r})" for i, x in enumerate(self.leaves)]
        lines += [self.line(j, value_name) for j in range(len(self.steps))]
        return "\n".join(indent + line for line in lines)

    def __repr__(self) -> str:  # hypothesis prints falsifying examples with repr
        return "Program:\n" + self.text()

    # -- structure -----------------------------------------------------------------------------------
    def uses(self) -> list[int]:
        """How many times each value is used as an operand."""
        count = [0] * (len(self.leaves) + len(self.steps))
        for step in self.steps:
            for kind, x in step.args:
                if kind == "n":
                    count[x] += 1
        return count

    def probes(self) -> set[str]:
        """Single-operation checks (checks.diagnose) relevant to this program."""
        found = {_probe_name(step) for step in self.steps}
        if any(u > 1 for u in self.uses()):
            found.add("accumulate")
        return found

    # -- running -------------------------------------------------------------------------------------
    def apply(self, j: int, vals: list, value_cls):
        step = self.steps[j]
        args = []
        for kind, x in step.args:
            args.append(vals[x] if kind == "n" else value_cls(x) if kind == "v" else x)
        return checks._apply(step.op, *args)

    def oracle(self) -> list[Dual]:
        vals = Dual.inputs(self.leaves)
        for j in range(len(self.steps)):
            vals.append(self.apply(j, vals, Dual.const))
        return vals

    # -- from text -------------------------------------------------------------------------------------
    @classmethod
    def parse(cls, source: str, **leaves) -> "Program":
        """Steps from lines like ``e = a * b``, ``f = 2 - e``, ``g = Value(3) * f``, ``h = g ** -1``,
        ``k = -h``, ``out = k.relu()``; leaves (in order) from keywords: ``a=1.5, b=-0.3``."""
        names = list(leaves)
        index = {n: i for i, n in enumerate(names)}
        steps = []
        for raw in source.replace(";", "\n").splitlines():
            line = raw.strip()
            if not line:
                continue
            target, rhs = (s.strip() for s in line.split("=", 1))
            if m := re.fullmatch(r"-(\w+)", rhs):
                steps.append(Step("neg", (_arg(m[1], index),)))
            elif m := re.fullmatch(r"(\w+)\.(relu|tanh|exp)\(\)", rhs):
                steps.append(Step(m[2], (_arg(m[1], index),)))
            elif m := re.fullmatch(r"(\S+) (\*\*|[-+*/]) (\S+)", rhs):
                op = {v: k for k, v in SYMBOL.items()}[m[2]]
                right = ("k", _num(m[3])) if op == "pow" else _arg(m[3], index)
                steps.append(Step(op, (_arg(m[1], index), right)))
            else:
                raise ValueError(f"cannot parse step {line!r}")
            index[target] = len(names)
            names.append(target)
        return cls(tuple(leaves.values()), tuple(steps), tuple(names))


def _probe_name(step: Step) -> str:
    """The checks.diagnose probe for one step: its op, or the reflected op for ``2 - a``."""
    if step.op in BINARY and step.args[0][0] == "c":
        return checks._REFLECTED[step.op]
    return step.op


def _num(text: str):
    text = text.strip("()")
    return float(text) if any(ch in text for ch in ".eE") else int(text)


def _arg(text: str, index: dict[str, int]):
    if text in index:
        return ("n", index[text])
    if m := re.fullmatch(r"\w+\((.+)\)", text):
        return ("v", _num(m[1]))
    return ("c", _num(text))


# -- checking --------------------------------------------------------------------------------------------
def check_program(kit: Kit, prog: Program, hint: str = "") -> None:
    """Run ``prog`` on the learner's Value; compare every node's data and every leaf's grad."""
    V = kit.name
    listing = prog.text(V)
    n = len(prog.leaves)
    vals = [kit.new(x, prog.names[i]) for i, x in enumerate(prog.leaves)]
    kit.do_all([(prog.line(j, V), lambda j=j: prog.apply(j, vals, kit.V)) for j in range(len(prog.steps))], into=vals)
    want = prog.oracle()

    def explain(problem: str, probes: set[str], generic: str = "") -> None:
        cause = checks.diagnose(kit, probes)
        if cause:
            fail(f"{cause}\nIt also breaks this graph ({problem}):\n{listing}")
        fail(f"{problem}{': ' + generic if generic else ''}, in this graph:\n{listing}")

    # Forward, node by node: the first wrong node names the operation.
    for i in range(n, len(vals)):
        got, exp = kit.data(vals[i], prog.names[i]), want[i].v
        if not close(got, exp):
            g, e = fmt2(got, exp)
            explain(f"{prog.line(i - n, V)} gave {prog.names[i]}.data = {g}, expected {e}",
                    {_probe_name(prog.steps[i - n])})
    _check_leaves_unchanged(kit, prog, vals, listing, "building the graph")

    out = vals[-1]
    kit.backward(out, prog.out, read=vals[:n] + [out])
    _check_leaves_unchanged(kit, prog, vals, listing, f"{prog.out}.backward()")
    seed = kit.grad(out, prog.out)
    if seed != 1:
        fail(f"after {prog.out}.backward(), {prog.out}.grad = {fmt(seed)}, expected 1: backward() "
             f"starts with self.grad = 1, in this graph:\n{listing}")
    wrong = []
    for i in range(n):
        got = kit.grad(vals[i], prog.names[i])
        exp = want[-1].grad(i)
        if not close(got, exp, want[-1].scale(i)):
            wrong.append((prog.names[i], got, exp))
    if not wrong:
        return
    shown = ", ".join(f"{name}.grad = {fmt2(g, e)[0]} (expected {fmt2(g, e)[1]})" for name, g, e in wrong)
    problem = f"{prog.out}.backward() gave {shown}"
    if all(g == 0 for _, g, _ in wrong):
        hint = ("no gradient reached the inputs: backward() must run every node's backward step, from "
                f"{prog.out} back to the inputs (reversed topological order)")
    if not hint:
        reused = [prog.names[i] for i, u in enumerate(prog.uses()) if u > 1]
        if any(i >= n for i, u in enumerate(prog.uses()) if u > 1):
            hint = (f"{', '.join(reused)} {'is' if len(reused) == 1 else 'are'} used more than once: each "
                    "use adds its part into .grad (+=), and backward() must run a node's backward step "
                    "once, after every node that uses it (reversed topological order, with a visited set)")
        elif reused:
            hint = (f"{', '.join(reused)} {'is' if len(reused) == 1 else 'are'} used more than once: "
                    "each use adds its part into .grad (+=)")
        else:
            hint = ("backward() must run every node's backward step, from the output back to the inputs "
                    "(reversed topological order), each multiplying its local derivative by out.grad")
    explain(problem, prog.probes(), hint)


def _check_leaves_unchanged(kit: Kit, prog: Program, vals: list, listing: str, when: str) -> None:
    for i, x in enumerate(prog.leaves):
        now = kit.data(vals[i], prog.names[i])
        if now != float(x):
            fail(f"{when} changed {prog.names[i]}.data from {fmt(x)} to {fmt(now)}: operations must "
                 f"return new {kit.name}s and leave their inputs unchanged, in this graph:\n{listing}")


def check_function(kit: Kit, f, leaves: dict, listing: str, probes=(), hint: str = "") -> None:
    """Like check_program for an expression written as Python: ``f(V, *inputs)`` returns the output.

    ``V`` is the learner's Value class (the oracle's constant maker when run on the oracle), so
    constants can be written ``V(1.0)``. ``listing`` is the code shown to the learner.
    """
    names = list(leaves)
    xs = [kit.new(x, name) for name, x in leaves.items()]
    try:
        out = f(kit.V, *xs)
        value = kit.is_value(out)  # runs what f queued: its errors are raised here
    except Exception as exc:  # not BaseException: the task timeout must get through
        fail(f"{kit.explain(exc, 'this code')}:\n{listing}")
    if not value:
        fail(f"the result of\n{listing}\nis {kit.kind(out)}, expected a {kit.name}")
    want, _ = _oracle(f, list(leaves.values()))
    kit.prefetch([*xs, out], ("data",))
    for name, x, value in zip(names, xs, leaves.values()):
        now = kit.data(x, name)
        if now != float(value):
            fail(f"running\n{listing}\nchanged {name}.data from {fmt(value)} to {fmt(now)}: operations "
                 f"(+= too) must return new {kit.name}s and leave their inputs unchanged")
    got = kit.data(out, "out")
    if not close(got, want.v):
        g, e = fmt2(got, want.v)
        _explain(kit, f"the output's data is {g}, expected {e}", listing, probes, "")
    kit.backward(out, "out", read=xs)
    wrong = []
    for i, (name, x) in enumerate(zip(names, xs)):
        g = kit.grad(x, name)
        if not close(g, want.grad(i), want.scale(i)):
            wrong.append((name, g, want.grad(i)))
    if wrong:
        shown = ", ".join(f"{n}.grad = {fmt2(g, e)[0]} (expected {fmt2(g, e)[1]})" for n, g, e in wrong)
        _explain(kit, f"backward() gave {shown}", listing, probes, hint)


def _oracle(f, values):
    xs = Dual.inputs(values)
    return f(Dual.const, *xs), xs


def _explain(kit: Kit, problem: str, listing: str, probes, hint: str) -> None:
    cause = checks.diagnose(kit, set(probes))
    if cause:
        fail(f"{cause}\nIt also breaks this code ({problem}):\n{listing}")
    fail(f"{problem}{': ' + hint if hint else ''}, for:\n{listing}")


# -- random programs (hypothesis) -------------------------------------------------------------------------
def programs(ops=BACKPROP, *, shape: str = "dag", leaves=(1, 3), steps=(1, 8), reflected=False,
             wrapped: bool = False, ints: bool = False):
    """A hypothesis strategy for Programs over ``ops``.

    shape "tree": every leaf and node is used once (no accumulation needed, any traversal that
    reaches every node works); "dag": values may be reused (fan-out, diamonds, a * a).
    reflected: plain numbers may stand on the left (2 - a: __rsub__), for all binary ops (True) or
    for the ops named; wrapped: Value(2) may stand on the left.
    ints: some leaves are ints. Unused values are summed into the output at the end, so every
    leaf matters.
    """
    from hypothesis import strategies as st  # the plugin imports testkit without hypothesis

    if reflected is True:
        reflected = BINARY
    left_number = ["cn"] if reflected else []
    forms = ["nn", "nc"] + left_number + (["vn"] if wrapped else [])
    decimal = st.builds(lambda k, s: s * k / 10, st.integers(2, 30), st.sampled_from((1, -1)))
    integer = st.builds(lambda k, s: s * k, st.integers(1, 3), st.sampled_from((1, -1)))
    leaf = st.one_of(decimal, integer) if ints else decimal

    @st.composite
    def build(draw):
        values = [draw(leaf) for _ in range(draw(st.integers(*leaves)))]
        xs = [float(v) for v in values]
        used = [False] * len(xs)
        out: list[Step] = []

        def pick(exclude=None):
            recent_first = list(range(len(xs) - 1, -1, -1))
            fresh = [i for i in recent_first if not used[i] and i != exclude]
            if shape == "dag" and (not fresh or draw(st.booleans())):
                cands = recent_first
            else:
                cands = fresh
            if not cands:
                return None
            return cands[draw(st.integers(0, len(cands) - 1))]

        for _ in range(draw(st.integers(*steps))):
            op = draw(st.sampled_from(ops))
            i = pick()
            if op in UNARY:
                step = Step(op, (("n", i),))
            elif op == "pow":
                step = Step(op, (("n", i), ("k", draw(st.sampled_from(EXPONENTS)))))
            else:
                form = draw(st.sampled_from(forms))
                if form == "cn" and op not in reflected:
                    form = "nc"
                j = pick(exclude=i) if form == "nn" else None
                if form == "nn" and j is None:
                    form = "nc"
                if form == "nn":
                    step = Step(op, (("n", i), ("n", j)))
                elif form == "nc":
                    step = Step(op, (("n", i), ("c", draw(st.sampled_from(CONSTANTS)))))
                else:
                    step = Step(op, (("c" if form == "cn" else "v", draw(st.sampled_from(CONSTANTS))), ("n", i)))
            value = _value(step, xs)
            if value is None:  # out of bounds: replace by x + 1 or x - 1 (never rejected)
                step = Step("add", (("n", i), ("c", -1 if xs[i] > 0 else 1)))
                value = _value(step, xs)
            for kind, x in step.args:
                if kind == "n":
                    used[x] = True
            out.append(step)
            xs.append(value)
            used.append(False)
        # Sum whatever is unused into the output, so every leaf and node reaches it.
        rest = [i for i in range(len(xs) - 1, -1, -1) if not used[i]]
        acc = rest[0]
        for i in rest[1:]:
            step = Step("add", (("n", acc), ("n", i)))
            out.append(step)
            xs.append(_value(step, xs, bounded=False))
            acc = len(xs) - 1
        return Program(tuple(values), tuple(out))

    return build()


def _value(step: Step, xs: list[float], bounded: bool = True) -> float | None:
    """The step's value, or None if it leaves the safe region."""
    args = [xs[x] if kind == "n" else float(x) for kind, x in step.args]
    op = step.op
    x = args[0]
    y = args[1] if len(args) > 1 else None
    if op == "div" and abs(y) < 0.5:
        return None
    if op == "pow":
        k = y
        if (k != int(k) and x < 0.2) or (k <= 0 and abs(x) < 0.2):
            return None
    if op == "relu" and abs(x) < 1e-3:
        return None
    if op == "exp" and abs(x) > 3:
        return None
    if op == "tanh" and abs(x) > 5:
        return None
    try:
        r = checks._forward(op, x, y)
    except (ZeroDivisionError, OverflowError, ValueError):
        return None
    if isinstance(r, complex) or math.isnan(r) or (bounded and abs(r) > BOUND):
        return None
    return r


def random_test(max_examples: int, **strategies):
    """Decorator for a hidden test drawing its inputs from hypothesis: ``@random_test(40, prog=programs(...))``.

    hsettings + given, plus one more thing: when a failure does not reproduce on replay (learner
    code whose visiting order comes from iterating a set, so it changes from run to run),
    hypothesis raises FlakyFailure; the learner gets the failure's own message instead.
    """
    from hypothesis import given

    def decorate(test):
        return _unflaky(hsettings(max_examples)(given(**strategies)(test)))

    return decorate


def _unflaky(test):
    import inspect

    from hypothesis.errors import Flaky

    def wrapper(*args, **kwargs):
        try:
            return test(*args, **kwargs)
        except Flaky as exc:
            inner = _first_assertion(exc)
            if inner is None:
                raise
            fail(f"{inner}\n(On the same graph this failed only some of the time: the order backward() "
                 "visits nodes in seems to change from run to run, for example because it comes from "
                 "iterating a set, and only some of those orders are right.)")

    for attr in ("__name__", "__qualname__", "__module__", "__doc__"):
        setattr(wrapper, attr, getattr(test, attr))
    wrapper.__signature__ = inspect.signature(test)  # the fixtures only, as given() leaves them
    wrapper.__dict__.update(getattr(test, "__dict__", {}))  # pytest marks
    return wrapper


def _first_assertion(exc: BaseException):
    if isinstance(exc, AssertionError):
        return exc
    for inner in getattr(exc, "exceptions", ()) or ():
        found = _first_assertion(inner)
        if found is not None:
            return found
    cause = exc.__cause__ or exc.__context__
    return _first_assertion(cause) if cause is not None and cause is not exc else None


def hsettings(max_examples: int):
    """hypothesis settings for hidden suites: fresh random inputs every run, nothing written to disk,
    no deadline (learner code may be slow), one failure reported, no slow "explain" phase."""
    from hypothesis import HealthCheck, Phase, settings

    _keep_hypothesis_out_of_the_workspace()
    return settings(
        max_examples=max_examples,
        database=None,
        deadline=None,
        derandomize=False,
        print_blob=False,
        report_multiple_bugs=False,
        phases=(Phase.generate, Phase.shrink),
        suppress_health_check=list(HealthCheck),
    )


def _keep_hypothesis_out_of_the_workspace() -> None:
    """hypothesis caches files under ./.hypothesis (the learner's folder) even with database=None
    (e.g. the constants it collects from local source files). Point it at a private temporary
    directory instead, unless the runner already chose one with HYPOTHESIS_STORAGE_DIRECTORY."""
    global _STORAGE
    if _STORAGE is not None:
        return
    import atexit
    import os
    import shutil
    import tempfile

    _STORAGE = os.environ.get("HYPOTHESIS_STORAGE_DIRECTORY") or ""
    if not _STORAGE:
        _STORAGE = tempfile.mkdtemp(prefix="ugrad-quest-hypothesis-")
        os.environ["HYPOTHESIS_STORAGE_DIRECTORY"] = _STORAGE
        atexit.register(shutil.rmtree, _STORAGE, True)
    try:
        from hypothesis.configuration import set_hypothesis_home_dir

        set_hypothesis_home_dir(_STORAGE)
    except ImportError:  # an older or newer hypothesis: the environment variable still applies
        pass


_STORAGE: str | None = None
