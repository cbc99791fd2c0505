"""Small expression programs, run on the learner's Value and on the oracle and compared.

A ``Program`` is a list of leaves (numbers) and steps, each step one operation on earlier values,
plain numbers or ``Value(number)`` constants. It reads as Python a learner can paste::

    a = Value(1.5)
    b = Value(-0.3)
    e = a * b
    f = 2 - e
    out = f.relu()

Programs come from text (``Program.parse``) for hand-picked graphs, or from ``programs(...)`` for
random ones, drawn by ``random_test`` from a plain seeded random.Random (drawing through
hypothesis cost the judge about five times what checking the programs did). Every decision is
one choice, so a failure shrinks to a small graph by replaying fewer and lower choices; each run
shows every operation, form and kind of reuse its programs promise; and every op is chosen so the
numbers stay bounded without rejecting examples (division only by |x| >= 0.5, fractional powers
only of positive bases, relu never near 0, exp and tanh of moderate inputs; a step that would
break a bound becomes ``x + 1`` or ``x - 1``).

``check_program`` runs a program on the learner's Value (in the engine worker, through the proxies of
testkit/remote.py), compares every node's .data and every leaf's .grad with the oracle, and explains
a mismatch (probing single operations for the cause).
"""

from __future__ import annotations

import inspect
import math
import os
import random
import re
from dataclasses import dataclass, field
from typing import Callable, Iterator

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
        cause = "" if _shrinking else checks.diagnose(kit, probes)
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


# -- random programs ------------------------------------------------------------------------------------
Blocks = list[tuple[str, list[int]]]
"""A program's choices, in blocks of one kind each: "leaves" (the count), "leaf", "steps", "step"."""


class Choices:
    """Where a program's decisions come from. ``choose(n)`` is a number in range(n), 0 the
    simplest: from ``source(n)`` when drawing, else read from the blocks given (replaying). The
    choices are kept in ``blocks``, one per count, leaf and step (``block(kind)`` starts one); on
    replay each leaf and step reads its own block, padded with zeros, so changing one of them while
    shrinking leaves the others as they were."""

    def __init__(self, source: Callable[[int], int] | None = None, given: Blocks = ()):
        self.source = source
        self.queues: dict[str, list[list[int]]] = {}
        for kind, block in given:
            self.queues.setdefault(kind, []).append(block)
        self.blocks: Blocks = []
        self._reading: Iterator[int] = iter(())

    def block(self, kind: str) -> None:
        self.blocks.append((kind, []))
        queue = self.queues.get(kind)
        self._reading = iter(queue.pop(0) if queue else ())

    def __call__(self, n: int) -> int:
        c = self.source(n) if self.source else min(next(self._reading, 0), n - 1)
        self.blocks[-1][1].append(c)
        return c

    def count(self, kind: str, bounds: tuple) -> int:
        self.block(kind)
        lo, hi = bounds
        return lo + self(hi - lo + 1)


TRIES = 1000
"""Draws ``Programs.examples`` may take to find a program showing a feature no example has shown yet."""
SHRINK_RUNS = 200
"""At most this many smaller programs are run while shrinking a failure, so a failing check stays quick."""


@dataclass(frozen=True)
class Programs:
    """Random Programs over ``ops``, as ``programs(...)`` describes them.

    Every decision of ``build`` goes through one ``choose(n)`` (see Choices), so the same code
    draws programs from a seeded random.Random (``examples``, what hidden tests run), replays
    choices (``replay``, shrinking a failure: fewer and lower choices make a smaller program) and
    draws from hypothesis (``strategy``, for the tool's own tests).
    """

    ops: tuple
    shape: str
    leaves: tuple
    steps: tuple
    reflected: tuple
    wrapped: bool
    ints: bool

    def build(self, choose: Choices) -> Program:
        forms = ["nn", "nc"] + (["cn"] if self.reflected else []) + (["vn"] if self.wrapped else [])
        values = []
        for _ in range(choose.count("leaves", self.leaves)):
            choose.block("leaf")
            values.append(self._leaf(choose))
        xs = [float(v) for v in values]
        used = [False] * len(xs)
        out: list[Step] = []

        def pick(exclude=None):
            recent_first = range(len(xs) - 1, -1, -1)
            fresh = [i for i in recent_first if not used[i] and i != exclude]
            reuse = choose(2) if self.shape == "dag" else 0
            cands = recent_first if self.shape == "dag" and (not fresh or reuse) else fresh
            at = choose(max(len(cands), 1))
            return cands[at] if cands else None

        # Every step makes the same choices, used or not: changing one (the op, while shrinking)
        # leaves what the others mean as it was.
        for _ in range(choose.count("steps", self.steps)):
            choose.block("step")
            op = self.ops[choose(len(self.ops))]
            i = pick()
            form = forms[choose(len(forms))]
            j = pick(exclude=i)
            c = CONSTANTS[choose(len(CONSTANTS))]
            k = EXPONENTS[choose(len(EXPONENTS))]
            if form == "cn" and op not in self.reflected or form == "nn" and j is None:
                form = "nc"
            if op in UNARY:
                step = Step(op, (("n", i),))
            elif op == "pow":
                step = Step(op, (("n", i), ("k", k)))
            elif form == "nn":
                step = Step(op, (("n", i), ("n", j)))
            else:
                step = Step(op, (("n", i), ("c", c)) if form == "nc" else (("c" if form == "cn" else "v", c), ("n", i)))
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

    def _leaf(self, choose: Choices):
        whole = choose(2) if self.ints else 0
        sign, tenths, units = (1, -1)[choose(2)], 2 + choose(29), 1 + choose(3)
        return sign * units if whole else sign * tenths / 10

    def draw(self, rng) -> tuple[Program, Blocks]:
        """A random program, and the choices that make it."""
        uniform = rng.random  # int(uniform() * n): a fifth of randrange's time, and as fair for n this small
        choose = Choices(lambda n: int(uniform() * n))
        return self.build(choose), choose.blocks

    def replay(self, blocks: Blocks) -> tuple[Program, Blocks]:
        """The program some choices make (each cut to its range, missing ones 0), and the choices
        it used."""
        choose = Choices(given=blocks)
        return self.build(choose), choose.blocks

    def examples(self, n: int, rng) -> Iterator[tuple[Program, Blocks]]:
        """n different programs with their choices. Until every feature in ``promised()`` has shown
        up, each example is drawn until it shows one that none before it showed, so every run
        covers them all within its first len(promised()) examples; after that, examples are drawn
        freely."""
        missing = self.promised()
        seen: set[str] = set()
        for _ in range(n):
            for _ in range(TRIES):
                prog, choices = self.draw(rng)
                if prog.text() in seen:
                    continue
                if not missing or self.features(prog, missing):
                    break
            else:  # not to be had from these bounds (the tests check the hidden suites' promises are)
                missing = set()
            seen.add(prog.text())
            if missing:
                missing -= self.features(prog, missing)
            yield prog, choices

    def promised(self) -> set[str]:
        """What every run of ``examples`` shows (see ``features``): each operation in each form the
        spec allows and where it matters that its backward step multiplies by out.grad, relu on both sides of 0,
        whole and fractional exponents, an int leaf, and in a DAG a value used twice by one step, a
        leaf and a node used by two steps, and a node used at two depths (``out = s + u`` where u
        is made from s)."""
        out = {f"{op} needs out.grad" for op in self.ops}
        two_values = self.shape == "dag" or self.leaves[1] >= 2
        for op in self.ops:
            if op in BINARY:
                out |= {_form(op, "nc")} | ({_form(op, "nn")} if two_values else set())
                out |= {_form(op, "cn")} if op in self.reflected else set()
                out |= {_form(op, "vn")} if self.wrapped else set()
            elif op == "pow":
                out |= {"a ** 2", "a ** 0.5"}
            elif op == "relu":
                out |= {"relu(a > 0)", "relu(a < 0)"}
            else:
                out.add("-a" if op == "neg" else f"a.{op}()")
        if self.ints:
            out.add("int leaf")
        if self.shape == "dag":
            out |= {"one value on both sides", "leaf used twice", "node used twice"}
            if self.steps[1] >= 3:
                out.add("node used at two depths")
        return out

    def features(self, prog: Program, among: set[str] | None = None) -> set[str]:
        """What a program shows (of those ``among``, if given), named as in ``promised``: "a - 2",
        "relu(a < 0)", "node used twice", "mul needs out.grad" (the leaves' gradients change if
        mul's backward step forgets out.grad)."""
        found = {"int leaf"} if any(isinstance(x, int) for x in prog.leaves) else set()
        xs = [float(x) for x in prog.leaves]
        n = len(xs)
        users: list[list[int]] = [[] for _ in range(n + len(prog.steps))]
        below: list[set[int]] = [set() for _ in range(n)]  # every value each value is made from
        for j, step in enumerate(prog.steps):
            kinds = "".join(kind for kind, _ in step.args)
            inputs = [x for kind, x in step.args if kind == "n"]
            if step.op in BINARY:
                found.add(_form(step.op, kinds))
            elif step.op == "pow":
                k = step.args[1][1]
                found.add("a ** 2" if k == int(k) else "a ** 0.5")
            elif step.op == "relu":
                found.add("relu(a > 0)" if xs[inputs[0]] > 0 else "relu(a < 0)")
            else:
                found.add("-a" if step.op == "neg" else f"a.{step.op}()")
            if len(inputs) == 2 and inputs[0] == inputs[1]:
                found.add("one value on both sides")
            for i in set(inputs):
                users[i].append(n + j)
            below.append(set(inputs).union(*(below[i] for i in inputs)))
            xs.append(_value(step, xs, bounded=False) or 0.0)
        for i, uses in enumerate(users):
            if len(uses) > 1:
                found.add("leaf used twice" if i < n else "node used twice")
                if i >= n and any(u in below[w] for u in uses for w in uses):
                    found.add("node used at two depths")
        chained = {f"{step.op} needs out.grad" for step in prog.steps}
        if among is not None:
            chained &= among  # each costs a backward pass
        right = _leaf_grads(prog, xs) if chained else []
        for feature in chained:
            wrong = _leaf_grads(prog, xs, feature.split()[0])
            if any(not math.isclose(a, b, abs_tol=1e-9) for a, b in zip(right, wrong)):
                found.add(feature)
        return found if among is None else found & among

    def strategy(self):
        """The same programs as a hypothesis strategy (shrinking each choice towards 0)."""
        from hypothesis import strategies as st

        @st.composite
        def build(draw):
            return self.build(Choices(lambda n: draw(st.integers(0, n - 1))))

        return build()


def programs(ops=BACKPROP, *, shape: str = "dag", leaves=(1, 3), steps=(1, 8), reflected=False,
             wrapped: bool = False, ints: bool = False) -> Programs:
    """Random Programs over ``ops``, for ``random_test`` (or, with ``.strategy()``, hypothesis).

    shape "tree": every leaf and node is used once (no accumulation needed, any traversal that
    reaches every node works); "dag": values may be reused (fan-out, diamonds, a * a).
    leaves, steps: (fewest, most). reflected: plain numbers may stand on the left (2 - a:
    __rsub__), for all binary ops (True) or for the ops named; wrapped: Value(2) may stand on the
    left. ints: some leaves are ints. Unused values are summed into the output at the end, so every
    leaf matters.
    """
    reflected = BINARY if reflected is True else tuple(reflected or ())
    return Programs(tuple(ops), shape, tuple(leaves), tuple(steps), reflected, wrapped, ints)


def _leaf_grads(prog: Program, xs: list[float], ignoring: str = "") -> list[float]:
    """The leaves' gradients, by backpropagation over the values ``xs`` of every node; with
    ``ignoring``, as a backward step of that op would give them that forgot to multiply by out.grad."""
    n = len(prog.leaves)
    grads = [0.0] * len(xs)
    grads[-1] = 1.0
    for j in range(len(prog.steps) - 1, -1, -1):
        step = prog.steps[j]
        g = 1.0 if step.op == ignoring else grads[n + j]
        args = [xs[x] if kind == "n" else float(x) for kind, x in step.args]
        for (kind, x), local in zip(step.args, checks._local(step.op, *args, *[None] * (2 - len(args)))):
            if kind == "n":
                grads[x] += g * local
    return grads[:n]


def _form(op: str, kinds: str) -> str:
    """A binary step's form as the learner writes it: "a + b", "a + 2", "2 + a", "Value(2) + a"."""
    left, right = {"nn": ("a", "b"), "nc": ("a", "2"), "cn": ("2", "a"), "vn": ("Value(2)", "a")}[kinds]
    return f"{left} {SYMBOL[op]} {right}"


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


def random_test(max_examples: int, **drawn: Programs):
    """Decorator for a hidden test run on random programs: ``@random_test(40, prog=programs(...))``.

    The test runs on ``max_examples`` different programs (``Programs.examples``) from a
    random.Random seeded afresh from the OS, so inputs cannot be hard-coded. The first failure is
    shrunk to the smallest program that still fails (``_shrink``), and the test fails with that
    program's message; the seed is added to the exception as a note (pytest shows it, the learner's
    message does not), and ``examples(max_examples, random.Random(seed))`` draws the same programs.
    """
    ((name, spec),) = drawn.items()

    def decorate(test):
        def wrapper(*args, **kwargs):
            _run(lambda prog: test(*args, **kwargs, **{name: prog}), spec, max_examples)

        for attr in ("__name__", "__qualname__", "__module__", "__doc__"):
            setattr(wrapper, attr, getattr(test, attr))
        wrapper.__dict__.update(getattr(test, "__dict__", {}))  # pytest marks
        signature = inspect.signature(test)  # pytest passes the fixtures, the program comes from here
        wrapper.__signature__ = signature.replace(parameters=[p for p in signature.parameters.values()
                                                              if p.name != name])
        wrapper.random_programs = (spec, max_examples)
        return wrapper

    return decorate


def _run(check: Callable[[Program], None], spec: Programs, max_examples: int) -> None:
    seed = int.from_bytes(os.urandom(8), "little")
    for prog, choices in spec.examples(max_examples, random.Random(seed)):
        failure = _outcome(check, prog)
        if failure is not None:
            break
    else:
        return
    error = _shrink(check, spec, choices, failure)
    error.add_note(f"random programs: {spec!r}.examples({max_examples}, random.Random({seed}))")
    raise error


def _outcome(check: Callable[[Program], None], prog: Program) -> Exception | None:
    try:
        check(prog)
    except Exception as exc:  # not BaseException: the task timeout must get through
        return exc
    return None


def _shrink(check: Callable[[Program], None], spec: Programs, blocks: Blocks, failure: Exception) -> Exception:
    """The error to report for a failure found with ``blocks``: that of the smallest program that
    still fails (see _Shrinker). While shrinking, check_program does not name the cause of a
    failure (only whether a program fails matters); the program found is run once more, with the
    cause, for the error reported. When that run passes (learner code whose visiting order comes
    from iterating a set, so it changes from run to run), the first failure is reported, saying
    that it comes and goes.
    """
    global _shrinking
    _shrinking = True
    try:
        smallest = _Shrinker(check, spec, blocks).run()
    finally:
        _shrinking = False
    final = _outcome(check, smallest)
    if final is not None:
        return final
    if not isinstance(failure, AssertionError):
        return failure
    error = AssertionError(f"{failure}\n(On the same graph this failed only some of the time: the order backward() "
                           "visits nodes in seems to change from run to run, for example because it comes from "
                           "iterating a set, and only some of those orders are right.)")
    error.__suppress_context__ = True
    return error


class _Shrinker:
    """The smallest failing program reachable from a failing one, smallest as its choices are
    (fewer, then lower), found within SHRINK_RUNS runs of the check. Passes, repeated while one
    helps: delete a whole leaf or step (and one from its count); in each block, delete runs of
    choices, zero runs of them, lower each one."""

    def __init__(self, check: Callable[[Program], None], spec: Programs, blocks: Blocks):
        self.check, self.spec = check, spec
        self.prog, self.best = spec.replay(blocks)
        self.verdicts: dict[str, bool] = {self.prog.text(): True}
        self.runs = 0

    def run(self) -> Program:
        improved = True
        while improved and self.runs < SHRINK_RUNS:
            improved = self.delete_items()
            for i in range(len(self.best)):
                improved |= self.shrink_block(i)
        return self.prog

    def fails(self, candidate: Blocks) -> bool:
        """Whether the program of ``candidate`` fails, if it is smaller (it then becomes the best)."""
        prog, chosen = self.spec.replay(candidate)
        if _size(chosen) >= _size(self.best):
            return False
        key = prog.text()
        if key not in self.verdicts:
            if self.runs >= SHRINK_RUNS:
                return False
            self.runs += 1
            self.verdicts[key] = _outcome(self.check, prog) is not None
        if self.verdicts[key]:
            self.prog, self.best = prog, chosen
        return self.verdicts[key]

    def delete_items(self) -> bool:
        improved = False
        for i in range(len(self.best) - 1, -1, -1):
            best = self.best
            if i >= len(best) or best[i][0] not in _COUNTED_BY:
                continue
            c = next(j for j, (kind, _) in enumerate(best) if kind == _COUNTED_BY[best[i][0]])
            if best[c][1] and best[c][1][0]:
                fewer = best[:c] + [(best[c][0], [best[c][1][0] - 1])] + best[c + 1:]
                improved |= self.fails(fewer[:i] + fewer[i + 1:])
        return improved

    def block(self, i: int) -> list[int]:
        return self.best[i][1] if i < len(self.best) else []

    def change(self, i: int, choices: list[int]) -> bool:
        """Whether the program still fails with block i's choices replaced."""
        return i < len(self.best) and self.fails(self.best[:i] + [(self.best[i][0], choices)] + self.best[i + 1:])

    def shrink_block(self, i: int) -> bool:
        improved = False
        for k in (4, 2, 1):  # delete k choices
            j = len(self.block(i)) - k
            while j >= 0:
                b = self.block(i)
                improved |= self.change(i, b[:j] + b[j + k:])
                j = min(j, len(self.block(i)) - k) - 1
        for k in (4, 2):  # zero k choices
            for j in range(len(self.block(i)) - k, -1, -1):
                b = self.block(i)
                if any(b[j:j + k]):
                    improved |= self.change(i, b[:j] + [0] * k + b[j + k:])
        for j in range(len(self.block(i))):  # lower one choice: to 0, else halving the gap
            b = self.block(i)
            if j >= len(b) or not b[j]:
                continue
            if self.change(i, b[:j] + [0] + b[j + 1:]):
                improved = True
                continue
            lo, hi = 0, b[j]  # lo passes, hi fails
            while hi - lo > 1 and j < len(self.block(i)):
                mid = (lo + hi) // 2
                b = self.block(i)
                if self.change(i, b[:j] + [mid] + b[j + 1:]):
                    hi, improved = mid, True
                else:
                    lo = mid
        return improved


_COUNTED_BY = {"leaf": "leaves", "step": "steps"}


def _size(blocks: Blocks) -> tuple[int, list[int]]:
    """How big the program some choices make is: fewer choices, then lower ones, make it smaller."""
    flat = [c for _, block in blocks for c in block]
    return len(flat), flat


_shrinking = False
"""True while a failure is shrunk: check_program then leaves out the probes that name a cause."""
