"""The learner's Tensor as a hidden test sees it, the oracle the tensor quest checks it against, and the
sentences that name a tensor engine's usual bugs.

A hidden test writes a small program as text, ``"out = (a.sum(axis=1) * w).sum()"``, and ``TensorKit.check``
runs it twice: once on proxies of the learner's Tensor (the operations are queued for the engine worker
and sent in one request; numbers come back with ``.tolist()``, so the worker's answers stay plain lists),
and once on ``Dual``, forward-mode dual numbers over numpy float64 arrays in the judge, whose tangents
give the exact gradient of ``out.sum()`` with respect to every input element (the seed of ones that
``backward()`` starts from). The text is what the learner reads in a failure, with the inputs' numbers,
so it can be pasted and run.
"""

from __future__ import annotations

import math
import random
import re
from typing import Callable

import numpy as np

from ugrad_quest.testkit.checks import fail, fmt
from ugrad_quest.testkit.remote import Engine, RemoteError, RemoteObject, RemoteValue, _Unsendable
from ugrad_quest.worker import wire

TENSOR = {"m": "tensor", "a": "Tensor"}
NP_ARRAY = {"m": "numpy", "a": "array"}
RTOL = 1e-6
ATOL = 1e-9


# -- the learner's Tensor, in the worker ----------------------------------------------------------------
class RemoteTensor(RemoteValue):
    """A Tensor of the learner's engine. Operations are queued like a Value's; data, grad and shape
    are read when asked (``TensorKit.read`` reads many in one request)."""

    __slots__ = ()
    __array_ufunc__ = None  # ndarray + proxy: numpy hands the operation to the proxy, as to a learner's Tensor

    def __init__(self, data):  # Tensor([[1, 2]]) in a hidden test
        engine = type(self)._engine
        engine._bind(self)
        engine._enqueue([wire.CALL, self._h, TENSOR, [engine.enc(_operand(engine, data))], {}], self)

    @property
    def data(self):
        return read(self._engine_, [(self, "data", "t")])[0]

    @property
    def grad(self):
        return read(self._engine_, [(self, "grad", "t")])[0]

    @property
    def shape(self):
        return self._engine_.attr(self, "shape")

    @property
    def T(self):  # noqa: N802 - numpy's name
        return self._engine_._made(lambda h: [wire.ATTR, h, self._engine_.enc(self), "T"], type(self))

    def _method(self, name: str, *args, **kwargs):
        e = self._engine_
        t, a, k = e.enc(self), e.enc(list(args)), {key: e.enc(v) for key, v in kwargs.items()}
        return e._made(lambda h: [wire.METHOD, h, t, name, a, k, None], type(self))

    def relu(self):
        return self._method("relu")

    def tanh(self):
        return self._method("tanh")

    def exp(self):
        return self._method("exp")

    def log(self):
        return self._method("log")

    def transpose(self):
        return self._method("transpose")

    def reshape(self, *shape):
        return self._method("reshape", *shape)

    def sum(self, axis=None, keepdims=False):
        return self._method("sum", axis=axis, keepdims=keepdims)

    def mean(self, axis=None, keepdims=False):
        return self._method("mean", axis=axis, keepdims=keepdims)

    def logsumexp(self, axis=-1, keepdims=False):
        return self._method("logsumexp", axis=axis, keepdims=keepdims)

    def backward(self):
        return self._engine_.call_method(self, "backward")

    def __neg__(self):
        e = self._engine_
        t = e.enc(self)
        return e._made(lambda h: [wire.NEG, h, t], type(self))


def _tensor_op(symbol: str, reflected: bool = False):
    def method(self, other):
        e = self._engine_
        try:
            mine, theirs = e.enc(self), e.enc(_operand(e, other))
        except _Unsendable:
            return NotImplemented
        left, right = (theirs, mine) if reflected else (mine, theirs)
        return e._made(lambda h: [wire.OP, h, symbol, left, right], type(self))
    return method


for _symbol, _name in (("+", "add"), ("-", "sub"), ("*", "mul"), ("/", "truediv"), ("**", "pow"), ("@", "matmul")):
    setattr(RemoteTensor, f"__{_name}__", _tensor_op(_symbol))
    setattr(RemoteTensor, f"__r{_name}__", _tensor_op(_symbol, reflected=True))
    # x += y in a hidden test means x = x + y: the tensor quest asks nothing of Python's in-place protocol.
    setattr(RemoteTensor, f"__i{_name}__", getattr(RemoteTensor, f"__{_name}__"))


def _operand(engine: Engine, x):
    """A judge-side ndarray becomes one made by numpy in the worker (never by the learner's code)."""
    if isinstance(x, np.ndarray):
        proxy = object.__new__(RemoteObject)
        engine._bind(proxy)
        values = x.tolist()
        engine._enqueue([wire.CALL, proxy._h, NP_ARRAY, [values], {"dtype": "float64"}])
        return proxy
    return x


def tensor_class(engine: Engine) -> type:
    """The proxy class standing for the learner's Tensor (its module imported), named like it."""
    cls = getattr(engine, "_tensor_cls", None)
    if cls is None or cls._engine is not engine:
        remote = engine.attr(engine.module("tensor"), "Tensor")
        name = getattr(remote, "__name__", "Tensor") if isinstance(remote, RemoteObject) else "Tensor"
        cls = type(str(name), (RemoteTensor,), {"__slots__": (), "_engine": engine})
        engine._tensor_cls = cls
    return cls


def read(engine: Engine, items) -> list[np.ndarray]:
    """The arrays of each (tensor, "data" | "grad", its name in messages), in one request: each
    attribute is kept under a handle of the judge's and answered by its tolist()."""
    commands, handles = [], []
    for tensor, attr, _ in items:
        engine._next += 1
        handles.append(engine._next)
        commands += [[wire.ATTR, engine._next, engine.enc(tensor), attr],
                     [wire.METHOD, None, {"h": engine._next}, "tolist", [], {}, None]]
    try:
        results = engine.send([*commands, [wire.FREE, handles]])
    except RemoteError as exc:
        _explain_unreadable(engine, items, exc)
    out = []
    for (tensor, attr, name), desc, values in zip(items, results[0::2], results[1::2]):
        kind = desc.get("c") if isinstance(desc, dict) else None
        got = engine.wrap(values)
        if kind not in ("ndarray", "float64") and desc.get("t") != "f":
            fail(f"{name}.{attr} is a {kind or desc.get('t')}, expected a float64 numpy array")
        if _has_ints(got):
            fail(f"{name}.{attr} holds integers ({show(np.asarray(got))}): keep {attr} as a float64 array "
                 "(np.asarray(data, dtype=np.float64)), or 1 / 2 and the gradients become integer arithmetic")
        out.append(np.asarray(got, dtype=np.float64))
    return out


def _has_ints(x) -> bool:
    if isinstance(x, list):
        return any(_has_ints(v) for v in x)
    return isinstance(x, int) and not isinstance(x, bool)


def _explain_unreadable(engine: Engine, items, exc: RemoteError):
    """One of the attributes could not be read as an array: say which, and what it was instead."""
    for tensor, attr, name in items:
        try:
            value = engine.attr(tensor, attr)
        except RemoteError as inner:
            fail(f"reading {name}.{attr} raised {inner.remote_type}: {inner}{inner.location()}")
        desc = engine.describe(value)
        if desc.get("c") == "ndarray":
            continue  # np.float64 has a tolist() too: a float here is a plain Python one
        what = {"n": "None", "f": f"the plain number {fmt(value)}", "i": f"the int {value}"}.get(
            desc.get("t"), f"a {desc.get('c', 'value')}")
        after = " (zeros of the tensor's shape until backward() adds into it)" if attr == "grad" else ""
        fail(f"{name}.{attr} is {what}, expected a float64 numpy array{after}")
    fail(f"reading the tensors raised {exc.remote_type}: {exc}{exc.location()}")


# -- the oracle: forward-mode duals over float64 arrays -----------------------------------------------------
class Dual:
    """A float64 array and its tangents: ``d[i]`` is d value / d (input element i), for every element of
    every input at once (the leading axis). Exact to rounding, so no step size and no trouble at kinks."""

    __array_ufunc__ = None

    def __init__(self, v, d):
        self.v, self.d = v, d

    @property
    def shape(self):
        return self.v.shape

    @property
    def data(self) -> np.ndarray:
        """The value alone, a constant: a program's `a * a.data` is one use of a."""
        return self.v

    @property
    def k(self) -> int:
        return self.d.shape[0]

    def _lift(self, x) -> "Dual":
        if isinstance(x, Dual):
            return x
        v = np.asarray(x, dtype=np.float64)
        return Dual(v, np.zeros((self.k, *v.shape)))

    def _up(self, ndim: int) -> np.ndarray:
        """The tangents with the value's axes right-aligned to ndim axes, as numpy broadcasts."""
        return self.d.reshape((self.k,) + (1,) * (ndim - self.v.ndim) + self.v.shape)

    def __add__(self, other):
        o = self._lift(other)
        v = self.v + o.v
        return Dual(v, self._up(v.ndim) + o._up(v.ndim))

    __radd__ = __add__

    def __neg__(self):
        return Dual(-self.v, -self.d)

    def __sub__(self, other):
        return self + (-self._lift(other))

    def __rsub__(self, other):
        return self._lift(other) + (-self)

    def __mul__(self, other):
        o = self._lift(other)
        v = self.v * o.v
        return Dual(v, self._up(v.ndim) * o.v + self.v * o._up(v.ndim))

    __rmul__ = __mul__

    def __truediv__(self, other):
        o = self._lift(other)
        v = self.v / o.v
        return Dual(v, self._up(v.ndim) / o.v - self.v * o._up(v.ndim) / o.v ** 2)

    def __rtruediv__(self, other):
        return self._lift(other) / self

    def __pow__(self, k):
        return Dual(self.v ** k, k * self.v ** (k - 1) * self.d)

    def __matmul__(self, other):
        o = self._lift(other)
        return Dual(self.v @ o.v, self.d @ o.v + self.v @ o.d)

    def __rmatmul__(self, other):
        return self._lift(other) @ self

    def relu(self):
        return Dual(np.maximum(self.v, 0.0), self.d * (self.v > 0))

    def tanh(self):
        t = np.tanh(self.v)
        return Dual(t, self.d * (1 - t * t))

    def exp(self):
        e = np.exp(self.v)
        return Dual(e, self.d * e)

    def log(self):
        return Dual(np.log(self.v), self.d / self.v)

    def sum(self, axis=None, keepdims=False):
        return Dual(self.v.sum(axis=axis, keepdims=keepdims), self.d.sum(axis=_shifted(axis, self.v.ndim),
                                                                         keepdims=keepdims))

    def mean(self, axis=None, keepdims=False):
        out = self.sum(axis, keepdims)
        n = self.v.size // max(out.v.size, 1)
        return Dual(out.v / n, out.d / n)

    def reshape(self, *shape):
        v = self.v.reshape(*shape)
        return Dual(v, self.d.reshape((self.k, *v.shape)))

    def transpose(self):
        return Dual(self.v.T, np.swapaxes(self.d, -1, -2))

    @property
    def T(self):  # noqa: N802
        return self.transpose()

    def logsumexp(self, axis=-1, keepdims=False):
        m = self.v.max(axis=axis, keepdims=True)
        kept = m + np.log(np.exp(self.v - m).sum(axis=axis, keepdims=True))
        softmax = np.exp(self.v - kept)
        d = (softmax * self.d).sum(axis=_shifted(axis, self.v.ndim), keepdims=keepdims)
        return Dual(kept if keepdims else np.squeeze(kept, axis=axis), d)


def _shifted(axis, ndim: int):
    """An axis of the value, as an axis of the tangents (one more, leading)."""
    if axis is None:
        return tuple(range(1, ndim + 1))
    return axis + 1 if axis >= 0 else axis


def duals(arrays: dict[str, np.ndarray]) -> dict[str, Dual]:
    """Each input as a Dual whose tangents pick out its own elements."""
    k = sum(a.size for a in arrays.values())
    out, start = {}, 0
    for name, a in arrays.items():
        d = np.zeros((k, a.size))
        d[start:start + a.size] = np.eye(a.size)
        out[name] = Dual(np.asarray(a, dtype=np.float64), d.reshape((k, *a.shape)))
        start += a.size
    return out


def expected(code: str, arrays: dict[str, np.ndarray], consts: dict | None = None):
    """(out's value, {input: gradient of out.sum()}) of the program, computed by the oracle."""
    env = {**duals(arrays), **(consts or {})}
    with np.errstate(all="ignore"):
        exec(code, {}, env)  # noqa: S102 - the hidden test's own program text
    out = env["out"]
    total = out.d.reshape(out.k, -1).sum(axis=1)
    grads, start = {}, 0
    for name, a in arrays.items():
        grads[name] = total[start:start + a.size].reshape(a.shape)
        start += a.size
    return out.v, grads


# -- drawing inputs ---------------------------------------------------------------------------------------
def rng() -> random.Random:
    from ugrad_quest.testkit.checks import rng as fresh

    return fresh()


def array(r: random.Random, shape, lo: float = 0.2, hi: float = 2.0, *, positive: bool = False) -> np.ndarray:
    """Short decimals with lo <= |x| <= hi (positive ones only with positive), never 0 or 1."""
    n = math.prod(shape)
    values = []
    while len(values) < n:
        x = round(r.uniform(lo, hi), 2)
        if x == 1.0:
            continue
        values.append(x if positive or r.random() < 0.5 else -x)
    return np.array(values, dtype=np.float64).reshape(shape)


def dims(r: random.Random, count: int, lo: int = 2, hi: int = 4, distinct: bool = True) -> list[int]:
    """count sizes in lo..hi, all different with distinct (so a transposed gradient cannot fit)."""
    pool = list(range(lo, hi + 1))
    return r.sample(pool, count) if distinct else [r.choice(pool) for _ in range(count)]


def broadcast_pair(r: random.Random) -> tuple[tuple[int, ...], tuple[int, ...]]:
    """Two shapes numpy broadcasts together, each with at least one axis the other stretches."""
    m, n, p = dims(r, 3)
    return r.choice([((m, 1), (1, n)), ((m, n), (n,)), ((p, m, n), (m, 1)), ((m, n), (1,)), ((p, 1, n), (m, 1)),
                     ((m,), (p, 1, m)), ((1, n), (m, n))])


# -- showing arrays ---------------------------------------------------------------------------------------
def show(x) -> str:
    """An array as Python source: [[0.5, -1.2], [2, 0.31]]."""
    x = np.asarray(x)
    if x.ndim == 0:
        return fmt(float(x))
    text = np.array2string(x, separator=", ", max_line_width=10**6, threshold=10**6,
                           formatter={"float_kind": lambda v: fmt(float(v))})
    return " ".join(text.split())


def shape_text(shape) -> str:
    return "(" + ", ".join(str(int(s)) for s in shape) + ("," if len(shape) == 1 else "") + ")"


# -- checking a program -----------------------------------------------------------------------------------
class Result:
    """What the learner's engine and the oracle gave for one program."""

    def __init__(self, code, setup, arrays, consts, out, want_out, grads, want_grads):
        self.code, self.setup, self.arrays, self.consts = code, setup, arrays, consts
        self.out, self.want_out, self.grads, self.want_grads = out, want_out, grads, want_grads


class TensorKit:
    """The learner's Tensor class (a proxy) plus the know-how to run programs on it and explain failures.

    A message reads code first, then what went wrong and why, and the inputs' numbers last (a long
    message is cut at the end): "out = a.T * w; out.backward() gave a wrong a.grad: transpose's backward
    ...; got a.grad = [...], expected [...] (with a = Tensor([...]); w = np.array([...]))"."""

    def __init__(self, Tensor):  # noqa: N803 - named after the class it wraps
        self.T = Tensor
        self.name = Tensor.__name__
        self.engine: Engine = Tensor._engine

    def new(self, x: np.ndarray, name: str):
        t = self.T(x.tolist())  # as the message shows it: Tensor([[0.5, -1.2]])
        t._label = f"{name} = {self.name}({show(x)})"
        return t

    def setup(self, arrays: dict[str, np.ndarray], consts: dict | None = None) -> str:
        parts = [f"{n} = {self.name}({show(a)})" for n, a in arrays.items()]
        parts += [f"{n} = np.array({show(c)})" if isinstance(c, np.ndarray) else f"{n} = {fmt(c)}"
                  for n, c in (consts or {}).items()]
        return "; ".join(parts)

    def explain(self, exc: Exception, what: str, hint: "str | Callable[[], str]" = "", setup: str = "") -> str:
        kind = getattr(exc, "remote_type", type(exc).__name__)
        where = exc.location() if isinstance(exc, RemoteError) else ""
        text = str(exc)
        base = f"{what} raised {kind}: {text}{where}" if text else f"{what} raised {kind}{where}"
        extra = _error_hint(exc, self.name)
        # A stub not written yet: its own message says which, and the task's advice is for later.
        hint = "" if kind == "NotImplementedError" else _resolve(hint)
        return base + "".join(f"; {h}" for h in (extra, hint) if h) + _with(setup)

    def run(self, code: str, arrays: dict[str, np.ndarray], consts: dict | None = None, *,
            hint: str = "", backward: bool = True) -> Result:
        """The program on the learner's Tensor and on the oracle; fails when the forward pass or
        backward() raises, or a result is not an array (hint: added to the message of an error)."""
        setup = self.setup(arrays, consts)
        tensors = {n: self.new(a, n) for n, a in arrays.items()}
        env = {**tensors, **(consts or {})}
        try:
            exec(code, {}, env)  # noqa: S102 - the hidden test's own program text, on proxies
            out = env["out"]
            self.engine.flush()
            if getattr(out, "_error", None) is not None:
                raise out._error
        except Exception as exc:  # noqa: BLE001 - not BaseException: the task's timeout must get through
            fail(self.explain(exc, code, hint, setup))
        self._check_kinds(setup, code, env, hint)
        try:
            [got_out] = read(self.engine, [(out, "data", "out")])
        except AssertionError as exc:
            fail(f"{code}: {exc}{_with(setup)}")
        want_out, want_grads = expected(code, arrays, consts)
        grads = {}
        if backward:
            try:
                self.engine.call_method(out, "backward")
            except Exception as exc:  # noqa: BLE001
                fail(self.explain(exc, f"{code}; out.backward()", hint, setup))
            try:
                grads = dict(zip(arrays, read(self.engine, [(tensors[n], "grad", n) for n in arrays])))
            except AssertionError as exc:
                fail(f"{code}; out.backward(): {exc}{_with(setup)}")
        return Result(code, setup, arrays, consts, got_out, want_out, grads, want_grads)

    def _check_kinds(self, setup: str, code: str, env: dict, hint: "str | Callable[[], str]" = "") -> None:
        for name, value in env.items():
            if not isinstance(value, RemoteTensor):
                continue
            desc = value._desc or {}
            kind = desc.get("c") if desc.get("t") == "o" else {"f": "float", "i": "int", "n": "None",
                                                               "l": "list", "u": "tuple"}.get(desc.get("t"))
            if kind in ("ndarray", "float", "int", "None", "list", "tuple", "float64"):
                extra = ": does the method end with `return out`?" if kind == "None" else ""
                article = "an" if kind[0] in "aeiou" else "a"
                fail(f"{code}: {name} is {article} {kind}, expected a {self.name}{extra}{_also(_resolve(hint))}"
                     f"{_with(setup)}")

    def check(self, code: str, arrays: dict[str, np.ndarray], consts: dict | None = None, *, hint: str = "",
              diagnose: Callable[[Result, str], str] | None = None, grads: bool = True) -> Result:
        """Run the program and compare out's data and every input's grad with the oracle's. A mismatch
        fails with what was computed and expected, plus diagnose(result, input name) or hint."""
        res = self.run(code, arrays, consts, hint=hint, backward=grads)
        setup = _with(res.setup)
        if callable(hint) and not (res.out.shape == res.want_out.shape and allclose(res.out, res.want_out)
                                   and all(g.shape == res.want_grads[n].shape and allclose(g, res.want_grads[n])
                                           for n, g in res.grads.items())):
            hint = hint()  # worked out only for a failure (it may run probes)
        if res.out.shape != res.want_out.shape:
            fail(f"{code} gave out of shape {shape_text(res.out.shape)}, expected {shape_text(res.want_out.shape)} "
                 f"as numpy gives{_also(hint)}{setup}")
        if not allclose(res.out, res.want_out):
            extra = diagnose(res, "out") if diagnose else ""
            fail(f"{code} gave wrong numbers in out{_also(extra or hint)}; got out.data = {show(res.out)}, "
                 f"expected {show(res.want_out)}{setup}")
        for name in res.grads:
            got, want = res.grads[name], res.want_grads[name]
            if got.shape == want.shape and allclose(got, want):
                continue
            extra = diagnose(res, name) if diagnose else ""
            if got.shape != want.shape:
                fail(f"{code}; out.backward() left {name}.grad of shape {shape_text(got.shape)}, expected "
                     f"{shape_text(want.shape)}, the shape of {name}{_also(extra or hint)}{setup}")
            fail(f"{code}; out.backward() gave a wrong {name}.grad{_also(extra or hint)}; got {name}.grad = "
                 f"{show(got)}, expected {show(want)}{setup}")
        return res


    def probe(self) -> str:
        """Which single operation already goes wrong alone, as "see task ...", or "" when each is right: a
        graph's wrong gradient is then not the order's or the accumulation's fault. Run only after a failure."""
        r = rng()
        for task, code, shapes, consts in PROBES:
            try:
                self.check(code, {n: array(r, s) for n, s in shapes.items()},
                           {n: array(r, s) for n, s in consts.items()})
            except AssertionError:
                return (f"{code.removeprefix('out = ')} goes wrong alone too, so see task {task} first "
                        "(quest check --task " + task + ")")
        return ""


PROBES = (
    ("elementwise", "out = (a * b - b.tanh()).relu() * w", {"a": (2, 3), "b": (2, 3)}, {"w": (2, 3)}),
    ("broadcast", "out = (a + v) * w", {"a": (2, 3), "v": (3,)}, {"w": (2, 3)}),
    ("broadcast", "out = (a * c) * w", {"a": (2, 3), "c": (2, 1)}, {"w": (2, 3)}),
    ("reduce", "out = a.sum(axis=0, keepdims=True) * w", {"a": (2, 3)}, {"w": (1, 3)}),
    ("matmul", "out = (a @ q) * w", {"a": (2, 3), "q": (3, 3)}, {"w": (2, 3)}),
)
"""(task, program, input shapes, constant shapes): one operation of each kind random_program uses."""


def _resolve(hint) -> str:
    return hint() if callable(hint) else hint


def _with(setup: str) -> str:
    return f" (with {setup})" if setup else ""


def _also(text: str) -> str:
    return f": {text}" if text else ""


def allclose(got: np.ndarray, want: np.ndarray) -> bool:
    if got.shape != want.shape:
        return False
    scale = max(1.0, float(np.max(np.abs(want)))) if want.size else 1.0
    with np.errstate(invalid="ignore"):
        return bool(np.all(np.isclose(got, want, rtol=RTOL, atol=ATOL * scale)))


def _error_hint(exc: Exception, cls: str) -> str:
    text = str(exc)
    if isinstance(exc, TypeError) and "unsupported operand" in text and f"'{cls}'" in text:
        if "'float'" in text or "'int'" in text:
            return (f"a plain number on the other side must work too: wrap it, "
                    f"other = other if isinstance(other, {cls}) else {cls}(other)")
        if "'ndarray'" in text or "'numpy.ndarray'" in text:
            return f"an ndarray on the other side must work too: wrap it in a {cls}"
    if isinstance(exc, AttributeError) and "'NoneType' object" in text:
        return "something returned None: does every operation end with `return out`?"
    return ""


# -- naming the bug ---------------------------------------------------------------------------------------
def summed_back(grad_of_out: np.ndarray, shape) -> np.ndarray:
    """A gradient in the broadcast output's shape, summed back to an input of ``shape``."""
    g = grad_of_out
    while g.ndim > len(shape):
        g = g.sum(axis=0)
    for axis, size in enumerate(shape):
        if size == 1 and g.shape[axis] != 1:
            g = g.sum(axis=axis, keepdims=True)
    return g


def broadcast_axes(shape, out_shape) -> str:
    """The axes of out along which an input of ``shape`` was broadcast, in words."""
    lead = len(out_shape) - len(shape)
    axes = list(range(lead)) + [lead + i for i, s in enumerate(shape) if s == 1 and out_shape[lead + i] != 1]
    return "axis " + str(axes[0]) if len(axes) == 1 else "axes " + ", ".join(map(str, axes))


# -- random graphs ----------------------------------------------------------------------------------------
def random_program(r: random.Random, steps: int = 8) -> tuple[str, dict[str, tuple[int, ...]]]:
    """(program text, input shapes): a graph of element-wise ops, broadcasts, a reduction and a matrix
    product over inputs a, b (m, n), v (n,) and q (n, n), where later steps reuse earlier results at
    random, so it has diamonds and nodes used at several depths; out adds up every result no later step
    used, so every step counts. tanh keeps the numbers moderate."""
    m, n = dims(r, 2)
    shapes = {"a": (m, n), "b": (m, n), "v": (n,), "q": (n, n)}
    pool = [("a", (m, n)), ("b", (m, n)), ("v", (n,))]
    used: set[str] = set()
    lines = []
    for i in range(1, steps + 1):
        x, sx = pool[-1] if r.random() < 0.5 else r.choice(pool)
        kind = r.choice(["binary", "binary", "binary", "unary", "reduce", "matmul"])
        if kind == "binary":
            y, sy = r.choice(pool)
            expr, shape = f"{x} {r.choice(['+', '-', '*'])} {y}", np.broadcast_shapes(sx, sy)
            used.add(y)
        elif kind == "unary" or len(sx) == 1:
            expr, shape = r.choice([f"{x}.tanh()", f"{x}.relu()", f"({x} * {r.choice([0.5, -1.5, 2])}).tanh()"]), sx
        elif kind == "reduce":
            expr, shape = f"{x}.sum(axis=0, keepdims=True)", (1, sx[1])
        else:
            expr, shape = f"({x} @ q).tanh()", sx
        used.add(x)
        lines.append(f"s{i} = {expr}")
        pool.append((f"s{i}", tuple(shape)))
    lines.append("out = " + " + ".join(name for name, _ in pool[3:] if name not in used))
    text = "; ".join(lines)
    return text, {k: s for k, s in shapes.items() if re.search(rf"\b{k}\b", text)}
