"""Calling a learner's engine from a hidden test, and checking single operations.

Every failure is raised as ``AssertionError(message)`` where the message is what the learner sees:
what was computed, what was expected, and, where the evidence fits a known bug, its name.

``Kit`` wraps the learner's ``Value`` class: it runs an expression and turns an exception into a
sentence ("2 + a raised TypeError: Value has no __radd__ ..."), reads ``.data``/``.grad`` as
floats, and knows where the learner's files are so it can point at a line.

``check_op`` checks one operation forward and backward from its formula; the per-task tests call
it with fresh numbers, and ``diagnose`` calls it as a probe to name the likely cause when a bigger
graph goes wrong.
"""

from __future__ import annotations

import math
import os
import random
import re
from numbers import Real
from pathlib import Path
from typing import Callable

REL_TOL = 1e-6
ABS_TOL = 1e-9

# The task that teaches each operation, for "see task ..." pointers in messages.
TASK_OF = {
    "add": "add-mul", "mul": "add-mul", "radd": "add-mul", "rmul": "add-mul", "accumulate": "add-mul",
    "neg": "more-ops", "sub": "more-ops", "div": "more-ops", "pow": "more-ops", "rsub": "more-ops",
    "rdiv": "more-ops", "relu": "relu", "tanh": "tanh-exp", "exp": "tanh-exp",
}

SYMBOL = {"add": "+", "sub": "-", "mul": "*", "div": "/", "pow": "**"}
_REFLECTED = {"add": "radd", "sub": "rsub", "mul": "rmul", "div": "rdiv"}
_DUNDER = {"+": "add", "-": "sub", "*": "mul", "/": "truediv", "**": "pow"}
_PYTHON2 = {"truediv": "div"}  # Python 2's names that Python 3 never calls


def fail(message: str):
    """Fail the current test with a message for the learner (no pytest explanation appended).

    Raised like ``raise ... from None``: the learner's exception it explains (a RecursionError's
    thousand frames, say) is not chained on, so pytest does not spend time formatting it."""
    error = AssertionError(message)
    error.__suppress_context__ = True
    raise error


# -- numbers -----------------------------------------------------------------------------------------
def rng() -> random.Random:
    """A generator seeded afresh from the OS on every run: inputs cannot be hard-coded."""
    return random.Random(int.from_bytes(os.urandom(8), "little"))


def number(r: random.Random, lo: float = 0.2, hi: float = 3.0, *, signed: bool = True, avoid=()) -> float:
    """A short decimal (one or two digits after the point) with lo <= |x| <= hi.

    Stays away from 1 and from every value in ``avoid`` (in absolute value), so that swapped or
    missing factors always change the result.
    """
    while True:
        x = round(r.uniform(lo, hi), r.choice((1, 2)))
        if x < lo or x > hi or abs(x - 1) < 0.05 or any(abs(x - abs(a)) < 0.05 for a in avoid):
            continue
        return -x if signed and r.random() < 0.5 else x


def numbers(r: random.Random, n: int, lo: float = 0.2, hi: float = 3.0, *, signed: bool = True) -> list[float]:
    """n numbers from ``number`` that differ from each other in absolute value."""
    out: list[float] = []
    while len(out) < n:
        out.append(number(r, lo, hi, signed=signed, avoid=out))
    return out


def fmt(x) -> str:
    """A number as a learner would write it: 3, 1.5, 0.333333, -2.4e-07."""
    if isinstance(x, bool) or not isinstance(x, Real):
        return repr(x)
    if isinstance(x, int):
        return str(x)
    if math.isnan(x) or math.isinf(x):
        return str(x)
    if x == int(x) and abs(x) < 1e15:
        return str(int(x)) if abs(x) >= 1 or x == 0 else f"{x:g}"
    return f"{x:.6g}"


def fmt2(got: float, expected: float) -> tuple[str, str]:
    """Format two numbers with enough digits to show that they differ."""
    a, b = fmt(got), fmt(expected)
    if a == b:
        a, b = f"{got:.15g}", f"{expected:.15g}"
    return a, b


def close(got: float, expected: float, scale: float = 1.0) -> bool:
    """math.isclose with the suite's tolerances; ``scale`` widens the absolute tolerance where
    large path contributions cancel (rounding is relative to them, see oracle.Dual.m)."""
    if got is None or isinstance(got, complex) or math.isnan(got):
        return False
    return math.isclose(got, expected, rel_tol=REL_TOL, abs_tol=ABS_TOL * max(1.0, scale))


# -- the learner's Value ---------------------------------------------------------------------------------
_KIND = {"f": "float", "i": "int", "b": "bool", "s": "str", "l": "list", "u": "tuple", "n": "None"}


_RUST_FN = re.compile(r"^\s*(?:pub(?:\([^)]*\))?\s+)?(?:const\s+|unsafe\s+)*fn\s+(\w+)")
_RUST_IMPL = re.compile(r"^\s*impl\b(?:\s*<[^{]*?>)?\s+(?:[\w:<>&', ]+?\s+for\s+)?&?([A-Za-z_]\w*)")


def rust_item_at(where) -> str:
    """'Value::relu' for a line inside `fn relu` of `impl Value` in the learner's crate ('' if unknown):
    a panic's location names a file and line, and the learner thinks in items."""
    if not (isinstance(where, list) and len(where) >= 2 and isinstance(where[0], str) and isinstance(where[1], int)):
        return ""
    from ugrad_quest.testkit import state

    try:
        lines = (Path(state.WORKSPACE) / where[0]).read_text(encoding="utf-8", errors="replace").splitlines()
    except (OSError, ValueError):
        return ""
    fn = owner = ""
    for line in reversed(lines[:where[1]]):
        if not fn and (m := _RUST_FN.match(line)):
            fn = m[1]
        elif fn and (m := _RUST_IMPL.match(line)):
            owner = m[1]
            break
        elif fn and line.startswith(("fn ", "pub fn ", "}")):
            break  # a free function: no impl around it
    return f"{owner}::{fn}" if fn and owner else fn


def rust_sentence(exc: BaseException, expr: str = "") -> str:
    """A Rust engine's failure in Rust terms ('' for anything else): a todo!() named by its item, a
    panic with its file and line, a RefCell borrowed twice, a stack overflow."""
    info = getattr(exc, "rust", None)
    if not isinstance(info, dict):
        return ""
    kind, api = info.get("kind"), info.get("api") or "your code"
    where = exc.location() if callable(getattr(exc, "location", None)) else ""
    during = f"{expr}: " if expr else ""
    if kind in ("todo", "unimplemented"):
        macro = "todo!()" if kind == "todo" else "unimplemented!()"
        spot = getattr(exc, "where", None)
        at = f" at {spot[0]}, line {spot[1]}" if isinstance(spot, list) and len(spot) >= 2 else ""
        # The driver knows what it called (Neuron::forward); the stub reached may be deeper (Value::relu).
        item = rust_item_at(spot) or api
        via = f", called through {api}" if item != api and api != "your code" else ""
        return f"{during}{item} is not written yet (it reached {macro}{at}{via})"
    if kind == "borrow":
        return (f"{during}{api} panicked: {exc}{where}: a RefCell was borrowed while it was already borrowed. "
                "In a * a both inputs are the same node, so two borrow_mut() at once (or a borrow() held across "
                "a borrow_mut()) panic: copy the numbers out first, let (x, g) = { let n = a.0.borrow(); "
                "(n.data, n.grad) };, then borrow again")
    if kind in ("stack_overflow", "memory"):
        return f"{during}{exc}"
    return f"{during}{api} panicked: {exc}{where}"


class Kit:
    """The learner's Value class (a proxy of it, testkit/remote.py) plus the know-how to call it and
    explain what went wrong."""

    def __init__(self, Value):  # noqa: N803 - named after the class it wraps
        self.V = Value
        self.name = getattr(Value, "__name__", "Value")
        self.engine = Value._engine

    # where in the learner's files an exception came from
    def where(self, exc: BaseException) -> str:
        location = getattr(exc, "location", None)
        return location() if callable(location) else ""

    @property
    def rust(self) -> bool:
        """The engine is a Rust crate (driven through the Rust driver), not a Python package."""
        return self.engine.hello.get("lang") == "rust"

    def explain(self, exc: Exception, expr: str) -> str:
        """One sentence for an exception raised while computing ``expr``."""
        rust = rust_sentence(exc, expr)
        if rust:
            return rust
        where = self.where(exc)
        text = str(exc)
        hint = self._hint(exc, expr, inside=bool(where))
        kind = getattr(exc, "remote_type", type(exc).__name__)
        if hint and not where:
            return f"{expr} raised {kind}: {hint}"
        base = f"{expr} raised {kind}: {text}{where}" if text else f"{expr} raised {kind}{where}"
        return f"{base}. {hint}" if hint else base

    def has(self, name: str) -> bool:
        """Whether the learner's Value class has the attribute (asked of the worker)."""
        return self.engine.value_class_has(name)

    def _hint(self, exc: Exception, expr: str, inside: bool) -> str:
        text = str(exc)
        v = self.name
        exponent = self._exponent_hint(exc, expr, text)
        if exponent:
            return exponent
        if isinstance(exc, MemoryError):
            limit = self.engine.hello.get("memory_bytes")
            most = f" at most {limit / 2**30:g} GiB" if isinstance(limit, int) else " a limited amount of memory"
            return (f"it ran out of memory: the hidden tests let your code use{most}; does an operation "
                    "allocate far more than it needs?")
        if isinstance(exc, TypeError):
            m = re.search(r"unsupported operand type\(s\) for (\*\*|[-+*/])(?: or pow\(\))?: '(\w+)' and '(\w+)'", text)
            if m:
                op, left, right = m.groups()
                dunder = _DUNDER[op]
                python2 = _PYTHON2.get(dunder)
                if left != v and right == v and python2 and self.has(f"__r{python2}__") \
                        and not self.has(f"__r{dunder}__"):
                    return (f"{v} defines __r{python2}__, which Python 3 never calls: rename it __r{dunder}__ "
                            f"(for 2 {op} a, Python calls a.__r{dunder}__(2))")
                if left == v and python2 and self.has(f"__{python2}__") and not self.has(f"__{dunder}__"):
                    also = f" (and __r{python2}__ to __r{dunder}__)" if self.has(f"__r{python2}__") else ""
                    return f"{v} defines __{python2}__, which Python 3 never calls: rename it __{dunder}__{also}"
                if left != v and right == v and not self.has(f"__r{dunder}__"):
                    return (f"{v} has no __r{dunder}__: for a plain number on the left, like 2 {op} a, "
                            f"Python calls a.__r{dunder}__(2)")
                if left != v and right == v:
                    return (f"{v}'s __r{dunder}__ does not accept a plain number: wrap it first, "
                            f"other = other if isinstance(other, {v}) else {v}(other)")
                if left == v and not self.has(f"__{dunder}__"):
                    return f"{v} has no __{dunder}__ (the {op} operator)"
                if left == v and right != v:
                    return (f"{v}'s __{dunder}__ does not accept a plain number: wrap it first, "
                            f"other = other if isinstance(other, {v}) else {v}(other)")
                return f"{v}'s __{dunder}__ does not accept another {v} (it returned NotImplemented)"
            m = re.search(r"bad operand type for unary -: '(\w+)'", text)
            if m:
                return f"{v} has no __neg__ (unary minus, -a): it can be self * -1"
        if isinstance(exc, AttributeError):
            m = re.search(r"'(\w+)' object has no attribute '(\w+)'", text)
            if m:
                owner, attr = m.groups()
                if owner == v and not inside:
                    if attr in ("tanh", "exp"):
                        return f"{v} has no {attr}() method: add tanh() and exp()"
                    if attr in ("relu", "backward"):
                        return f"{v} has no {attr}() method: add {attr}()"
                    if attr in ("data", "grad"):
                        return f"{v} has no .{attr} attribute: set self.{attr} in __init__"
                if owner in ("int", "float"):
                    return (f"a plain number reached code that expects a {v}: wrap numbers first, "
                            f"other = other if isinstance(other, {v}) else {v}(other)")
                if owner == "NoneType":
                    return "something returned None: does every operation end with `return out`?"
        return ""

    def _exponent_hint(self, exc: Exception, expr: str, text: str) -> str:
        """a ** 2 calls a.__pow__(2) with a plain number: a __pow__ that asserts a Value, reads
        other.data or wraps the exponent in a Value fails inside itself, and wrapping numbers (the
        hint for + and *) is the wrong way round here."""
        where = getattr(exc, "where", None) or ()
        in_pow = len(where) > 2 and where[2] == "__pow__"
        step = expr.rsplit(";", 1)[-1]
        if not (in_pow or (where and re.search(r"\*\*\s*-?[\d.]+\s*$", step))):
            return ""
        v = self.name
        plain = "__pow__ gets a plain number exponent (a ** 2 calls a.__pow__(2))"
        if isinstance(exc, AttributeError) and re.search(r"'(int|float)' object has no attribute", text):
            return f"{plain}: use other itself, not other.data"
        if isinstance(exc, AssertionError):
            return f"{plain}, not a {v}: assert isinstance(other, (int, float))"
        if isinstance(exc, TypeError) and f"'{v}'" in text:
            return f"{plain}: use it as it is, without wrapping it in a {v}"
        return ""

    # calling the learner
    def new(self, x, name: str = "a"):
        """Value(x), queued: it runs with the next operation that needs an answer, and an error it
        raises is still told as its own ("a = Value(2.5) raised ...")."""
        v = self.V(x)
        v._label = f"{name} = {self.name}({fmt(x)})"
        return v

    def do(self, expr: str, fn: Callable[[], object]):
        """fn() with exceptions explained; the result must be a new Value."""
        return self.do_all([(expr, fn)])[0]

    def do_all(self, steps, into: list | None = None) -> list:
        """[fn() for each (expr, fn)], run in one request, with each step's errors explained as its
        own; each result must be a new Value. The first step that went wrong is the one told. With
        ``into``, each result is appended to it as soon as it is made (later steps may use it)."""
        outs: list = []
        try:
            for expr, fn in steps:
                out = fn()
                if getattr(out, "_label", "") is None:
                    out._label = expr
                outs.append(out)
                if into is not None:
                    into.append(out)
            self.engine.flush()  # runs what the steps queued: their errors are raised here
        except Exception as exc:  # not BaseException: the task timeout must get through
            self._check_kinds(steps, outs)  # an earlier step that gave no Value explains a later error
            fail(self.explain(exc, self._step_of(exc, steps, outs)))
        self._check_kinds(steps, outs)
        return outs

    @staticmethod
    def _step_of(exc: Exception, steps, outs) -> str:
        """The text of the step an error belongs to: the value it was raised for, else the first
        step whose value did not get made, else the step that was running."""
        culprit = getattr(exc, "culprit", None)
        if culprit is not None:
            return culprit._label
        for (expr, _), out in zip(steps, outs):
            if getattr(out, "_error", None) is not None:
                return expr
        return steps[min(len(outs), len(steps) - 1)][0]

    def _check_kinds(self, steps, outs) -> None:
        for (expr, _), out in zip(steps, outs):
            # A value's description as the request left it (describe() would raise its error again).
            desc = out._desc if hasattr(out, "_engine_") else self.engine.describe(out)
            if desc is None:
                return  # not run: an earlier step raised
            if desc.get("t") != "V":
                kind = _KIND.get(desc.get("t"), desc.get("c", "object"))
                shown = fmt(desc["v"]) if desc.get("t") in ("f", "i", "b") else desc.get("r", "")
                extra = ": does the method end with `return out`?" if kind == "None" else ""
                fail(f"{expr} returned {kind} {shown}".rstrip() + f", expected a {self.name}{extra}")

    def call(self, expr: str, fn: Callable[[], object]):
        """fn() with exceptions explained; any result."""
        try:
            return self.settle(fn())
        except Exception as exc:
            fail(self.explain(exc, expr))

    def settle(self, out):
        """out, once the commands queued for it have run (so their errors are raised now, not later)."""
        self.engine.flush()
        error = getattr(out, "_error", None)
        if error is not None:
            raise error
        return out

    def same(self, a, b) -> bool:
        """a is b, in the worker."""
        return self.engine.same(a, b)

    def is_value(self, x) -> bool:
        return self.engine.is_value(x)

    def kind(self, x) -> str:
        desc = self.engine.describe(x)
        return self.name if desc.get("t") == "V" else _KIND.get(desc.get("t"), desc.get("c", "object"))

    def prefetch(self, values, names=("data", "grad")) -> None:
        """Read .data and .grad of many values in one round trip (kept until the next command)."""
        self.engine.prefetch(values, names)

    def backward(self, out, name: str = "out", read=()) -> None:
        """out.backward(), explained if it raises; data and grad of the values in ``read`` are read
        in the same request."""
        self.call(f"{name}.backward()", lambda: self.engine.call_method(out, "backward", read=read))

    def data(self, v, name: str) -> float:
        return self._number(v, "data", name)

    def grad(self, v, name: str) -> float:
        return self._number(v, "grad", name)

    def _number(self, v, attr: str, name: str) -> float:
        try:
            x = getattr(v, attr)
        except AttributeError:
            fail(f"{self.name} has no .{attr} attribute (reading {name}.{attr}): set self.{attr} in __init__")
        if isinstance(x, self.V):
            fail(f"{name}.{attr} is a {self.name}, expected a plain number: wrap plain numbers only, "
                 f"never a {self.name} inside a {self.name}")
        if isinstance(x, bool) or not isinstance(x, Real):
            if self.engine.describe(x).get("c") == "ndarray":
                # np.array(2.0), or what np.float64 arithmetic on one gives: not a float to the tests.
                store = "self.data = float(data) in __init__" if attr == "data" else f"self.{attr} as a float"
                fail(f"{name}.{attr} is a numpy array, {x!r}, expected a plain number: store {store}")
            fail(f"{name}.{attr} is {x!r}, expected a number")
        return float(x)


# -- single operations ------------------------------------------------------------------------------------
def _forward(op: str, x: float, y: float | None) -> float:
    if op == "add":
        return x + y
    if op == "sub":
        return x - y
    if op == "mul":
        return x * y
    if op == "div":
        return x / y
    if op == "pow":
        return x ** y
    if op == "neg":
        return -x
    if op == "relu":
        return x if x > 0 else 0.0
    if op == "tanh":
        return math.tanh(x)
    if op == "exp":
        return math.exp(x)
    raise ValueError(op)


def _local(op: str, x: float, y: float | None) -> tuple[float, float]:
    """(d out/d x, d out/d y)."""
    if op == "add":
        return 1.0, 1.0
    if op == "sub":
        return 1.0, -1.0
    if op == "mul":
        return y, x
    if op == "div":
        return 1 / y, -x / y ** 2
    if op == "pow":
        return (0.0 if y == 0 else y * x ** (y - 1)), 0.0
    if op == "neg":
        return -1.0, 0.0
    if op == "relu":
        return (1.0 if x > 0 else 0.0), 0.0
    if op == "tanh":
        return 1 - math.tanh(x) ** 2, 0.0
    if op == "exp":
        return math.exp(x), 0.0
    raise ValueError(op)


_RULE = {
    "add": "d(a + b)/da = d(a + b)/db = 1: each input gets out.grad added to its .grad",
    "sub": "d(a - b)/da = 1 and d(a - b)/db = -1",
    "mul": "d(a * b)/da = b.data and d(a * b)/db = a.data, each times out.grad",
    "div": "d(a / b)/da = 1 / b and d(a / b)/db = -a / b**2",
    "pow": "d(x**k)/dx = k * x**(k-1)",
    "neg": "d(-a)/da = -1",
    "relu": "relu passes out.grad through where x > 0 and nothing where x < 0",
    "tanh": "tanh backward: d tanh(x)/dx = 1 - tanh(x)**2",
    "exp": "exp backward: d exp(x)/dx = exp(x)",
}


def op_expr(op: str, form: str, x, y) -> str:
    """Text of one operation: form 'nn' a OP b, 'nc' a OP number, 'cn' number OP a, 'u' unary."""
    if op == "neg":
        return "-a"
    if op in ("relu", "tanh", "exp"):
        return f"a.{op}()"
    s = SYMBOL[op]
    if op == "pow":
        return f"a ** {fmt(y)}"
    if form == "nn":
        return f"a {s} b"
    if form == "nc":
        return f"a {s} {fmt(y)}"
    return f"{fmt(x)} {s} a"


def check_op(kit: Kit, op: str, x, y=None, form: str = "nn") -> None:
    """Check one operation forward and backward; raise AssertionError naming the bug.

    form: 'nn' Value op Value, 'nc' Value op number (also ``a ** k``), 'cn' number op Value
    (the reflected dunder), 'u' unary (neg, relu, tanh, exp).
    """
    V = kit.name
    expr = op_expr(op, form, x, y)
    # Build the inputs: names a (and b) are the Values the learner's grads are read from.
    if form == "cn":
        a = kit.new(y, "a")
        setup = f"a = {V}({fmt(y)})"
        fx, fy = x, y  # math is number OP a.data
        c = kit.do(f"{setup}; c = {expr}", lambda: _apply(op, x, a))
        inputs = [("a", a, y, 1)]
    else:
        a = kit.new(x, "a")
        setup = f"a = {V}({fmt(x)})"
        fx, fy = x, y
        if form == "nn":
            b = kit.new(y, "b")
            setup += f"; b = {V}({fmt(y)})"
            c = kit.do(f"{setup}; c = {expr}", lambda: _apply(op, a, b))
            inputs = [("a", a, x, 0), ("b", b, y, 1)]
        else:
            c = kit.do(f"{setup}; c = {expr}", lambda: _apply(op, a, y))
            inputs = [("a", a, x, 0)]
    where = f"{setup}; c = {expr}"

    # A new Value; inputs unchanged.
    for name, v, value, _ in inputs:
        if kit.same(c, v):
            fail(f"{where} returned {name} itself: every operation must return a new {V} "
                 f"(out = {V}(...)) and leave its inputs unchanged")
    for name, v, value, _ in inputs:
        now = kit.data(v, name)
        if now != float(value):
            fail(f"{where} changed {name}.data from {fmt(value)} to {fmt(now)}: an operation must "
                 f"return a new {V} and leave its inputs unchanged")

    # Forward.
    expected = _forward(op, fx, fy)
    got = kit.data(c, "c")
    if not close(got, expected):
        g, e = fmt2(got, expected)
        msg = f"{where} gave c.data = {g}, expected {e}"
        if op == "sub" and form == "cn" and close(got, y - x):
            msg += ": __rsub__(self, other) computes other - self (the plain number comes first), not self - other"
        elif op == "div" and form == "cn" and close(got, y / x):
            msg += ": __rtruediv__(self, other) computes other / self (the plain number comes first), not self / other"
        elif op == "relu" and x < 0:
            msg += ": relu(x) = 0 for x < 0"
        elif op == "relu":
            msg += ": relu(x) = x for x > 0"
        fail(msg)

    # Grad starts at 0, backward seeds 1.
    start = kit.grad(c, "c")
    if start != 0:
        fail(f"{where}: c.grad is {fmt(start)} before backward(), expected 0: grad must start at 0")
    for name, v, _, _ in inputs:
        g0 = kit.grad(v, name)
        if g0 != 0:
            fail(f"{where}: {name}.grad is {fmt(g0)} before backward(), expected 0: grad must start at 0")
    kit.backward(c, "c", read=[c] + [v for _, v, _, _ in inputs])
    seed = kit.grad(c, "c")
    if seed != 1:
        fail(f"{where}; c.backward() left c.grad = {fmt(seed)}, expected 1: backward() starts with self.grad = 1")

    # Backward.
    local = _local(op, fx, fy)
    grads = {name: kit.grad(v, name) for name, v, _, _ in inputs}
    wrong = [(name, grads[name], local[i]) for name, _, _, i in inputs if not close(grads[name], local[i])]
    if not wrong:
        return
    shown = ", ".join(f"{n}.grad = {fmt2(g, e)[0]} (expected {fmt2(g, e)[1]})" for n, g, e in wrong)
    msg = f"{where}; c.backward() gave {shown}"
    fail(f"{msg}: {_diagnose_local(op, form, fx, fy, grads)}")


def _diagnose_local(op: str, form: str, x, y, grads: dict[str, float]) -> str:
    ga, gb = grads.get("a"), grads.get("b")
    if op == "mul" and form == "nn" and close(ga, x) and close(gb, y):
        return ("mul gradients swapped: a.grad must get b.data * out.grad and b.grad must get "
                "a.data * out.grad")
    if op == "sub" and form == "nn" and close(gb, 1.0):
        return "the subtracted value gets -out.grad: " + _RULE["sub"]
    if op == "sub" and form == "cn" and close(ga, 1.0):
        return "in 2 - a the Value is subtracted, so a.grad is -out.grad (__rsub__ computes other - self)"
    if op == "div" and form == "cn":
        return f"d({fmt(x)} / a)/da = -{fmt(x)} / a**2 (__rtruediv__ computes other / self)"
    if op == "pow":
        k = y
        base = f"({fmt(x)})" if x < 0 else fmt(x)
        return f"a ** k backward: {_RULE['pow']}, here {fmt(k)} * {base}**{fmt(k - 1)} = {fmt(_local('pow', x, k)[0])}"
    if op == "relu":
        if x < 0:
            return "relu passes the gradient only where x > 0: for x < 0 its output is 0 and flat, so x.grad gets 0"
        return "relu passes out.grad through unchanged where x > 0"
    if op == "tanh":
        if close(ga, 1 - x * x):
            return _RULE["tanh"] + " (square the output t = tanh(x), not the input x)"
        return _RULE["tanh"]
    if op == "exp":
        if close(ga, x):
            return _RULE["exp"] + " (the output's data, not the input's)"
        return _RULE["exp"]
    return _RULE[op]


def _apply(op: str, a, b=None):
    if op == "add":
        return a + b
    if op == "sub":
        return a - b
    if op == "mul":
        return a * b
    if op == "div":
        return a / b
    if op == "pow":
        return a ** b
    if op == "neg":
        return -a
    if op == "relu":
        return a.relu()
    if op == "tanh":
        return a.tanh()
    if op == "exp":
        return a.exp()
    raise ValueError(op)


def check_accumulate(kit: Kit, x: float) -> None:
    """a + a must give a.grad = 2."""
    V = kit.name
    a = kit.new(x, "a")
    c = kit.do(f"a = {V}({fmt(x)}); c = a + a", lambda: a + a)
    g0 = kit.grad(a, "a")
    if g0 != 0:
        fail(f"a = {V}({fmt(x)}); c = a + a: a.grad is {fmt(g0)} before backward(), expected 0: grad must start at 0")
    kit.backward(c, "c")
    g = kit.grad(a, "a")
    if close(g, 2.0):
        return
    if close(g, 1.0):
        fail(f"a + a gave a.grad = 1, expected 2: gradients must accumulate (+=), not overwrite (=)")
    fail(f"a + a gave a.grad = {fmt(g)}, expected 2: a value used twice gets out.grad from both uses (+=)")


# -- probes --------------------------------------------------------------------------------------------------
_PROBES: dict[str, Callable[[Kit, random.Random], None]] = {
    "add": lambda k, r: check_op(k, "add", *numbers(r, 2)),
    "mul": lambda k, r: check_op(k, "mul", *numbers(r, 2)),
    "accumulate": lambda k, r: check_accumulate(k, number(r)),
    "radd": lambda k, r: check_op(k, "add", 2, number(r), form="cn"),
    "rmul": lambda k, r: check_op(k, "mul", 3, number(r), form="cn"),
    "neg": lambda k, r: check_op(k, "neg", number(r), form="u"),
    "sub": lambda k, r: check_op(k, "sub", *numbers(r, 2)),
    "rsub": lambda k, r: check_op(k, "sub", 2, number(r), form="cn"),
    "div": lambda k, r: check_op(k, "div", *numbers(r, 2, 0.5)),
    "rdiv": lambda k, r: check_op(k, "div", 2, number(r, 0.5), form="cn"),
    "pow": lambda k, r: [check_op(k, "pow", number(r, 0.5, 2, signed=False), e, form="nc") for e in (2, 3, -1, 0.5)],
    "relu": lambda k, r: [check_op(k, "relu", s * number(r, signed=False), form="u") for s in (1, -1)],
    "tanh": lambda k, r: check_op(k, "tanh", number(r, 0.2, 2), form="u"),
    "exp": lambda k, r: check_op(k, "exp", number(r, 0.2, 2), form="u"),
}

# Probe order: the more basic an operation, the earlier (a broken + explains a broken -).
PROBE_ORDER = ["add", "mul", "accumulate", "radd", "rmul", "neg", "sub", "rsub", "pow", "div", "rdiv",
               "relu", "tanh", "exp"]


def check_chain(kit: Kit, op: str, x, y=None, form: str = "nn", k: float = 2.5) -> None:
    """c = (one operation); w = c * k. The operation's backward step must multiply its local
    derivative by out.grad (k here), the chain rule; a single operation alone never shows that."""
    V = kit.name
    expr = op_expr(op, form, x, y)
    if form == "cn":
        a = kit.new(y, "a")
        setup, inputs = f"a = {V}({fmt(y)})", [("a", a, 1)]
        make = lambda: _apply(op, x, a)  # noqa: E731
    else:
        a = kit.new(x, "a")
        setup, inputs = f"a = {V}({fmt(x)})", [("a", a, 0)]
        if form == "nn":
            b = kit.new(y, "b")
            setup += f"; b = {V}({fmt(y)})"
            inputs.append(("b", b, 1))
            make = lambda: _apply(op, a, b)  # noqa: E731
        else:
            make = lambda: _apply(op, a, y)  # noqa: E731
    c = kit.do(f"{setup}; c = {expr}", make)
    where = f"{setup}; c = {expr}; w = c * {fmt(k)}"
    w = kit.do(where, lambda: c * k)
    kit.backward(w, "w")
    local = _local(op, x, y)
    got = {n: kit.grad(v, n) for n, v, _ in inputs}
    want = {n: k * local[i] for n, _, i in inputs}
    wrong = [n for n in got if not close(got[n], want[n])]
    if not wrong:
        return
    shown = ", ".join(f"{n}.grad = {fmt2(got[n], want[n])[0]} (expected {fmt2(got[n], want[n])[1]})" for n in wrong)
    msg = f"{where}; w.backward() gave {shown}"
    if all(got[n] == 0 for n in wrong):
        fail(f"{msg}: no gradient reached the inputs: backward() must run every node's backward step, "
             "from w back to the inputs (reversed topological order)")
    if all(close(got[n], local[i]) for n, _, i in inputs if n in wrong):
        fail(f"{msg}: the backward step of {expr} must multiply its local derivative by out.grad "
             f"(the chain rule; here c.grad = {fmt(k)})")
    fail(msg)


_CHAIN_PROBES: dict[str, Callable[[Kit, random.Random], None]] = {
    "add": lambda k, r: check_chain(k, "add", *numbers(r, 2)),
    "mul": lambda k, r: check_chain(k, "mul", *numbers(r, 2)),
    "radd": lambda k, r: check_chain(k, "add", 2, number(r), form="cn"),
    "rmul": lambda k, r: check_chain(k, "mul", 3, number(r), form="cn"),
    "neg": lambda k, r: check_chain(k, "neg", number(r), form="u"),
    "sub": lambda k, r: check_chain(k, "sub", *numbers(r, 2)),
    "rsub": lambda k, r: check_chain(k, "sub", 2, number(r), form="cn"),
    "div": lambda k, r: check_chain(k, "div", *numbers(r, 2, 0.5)),
    "rdiv": lambda k, r: check_chain(k, "div", 2, number(r, 0.5), form="cn"),
    "pow": lambda k, r: check_chain(k, "pow", number(r, 0.5, 2, signed=False), 3, form="nc"),
    "relu": lambda k, r: check_chain(k, "relu", number(r, signed=False), form="u"),
    "tanh": lambda k, r: check_chain(k, "tanh", number(r, 0.2, 2), form="u"),
    "exp": lambda k, r: check_chain(k, "exp", number(r, 0.2, 2), form="u"),
}


def diagnose(kit: Kit, ops) -> str:
    """The first of ``ops`` that is already wrong on its own (or, after *, in a two-step chain),
    as a sentence naming the bug; '' if none is."""
    r = rng()
    for op in PROBE_ORDER:
        if op not in ops:
            continue
        try:
            _PROBES[op](kit, r)
        except AssertionError as exc:
            return f"{exc} (see task {TASK_OF[op]})"
    # Chain probes end with "* 2.5": only meaningful once * itself is right.
    if "mul" not in ops:
        try:
            _PROBES["mul"](kit, r)
        except AssertionError:
            return ""
    for op in PROBE_ORDER:
        if op not in ops or op not in _CHAIN_PROBES:
            continue
        try:
            _CHAIN_PROBES[op](kit, r)
        except AssertionError as exc:
            return f"{exc} (see task {TASK_OF[op]})"
    return ""
