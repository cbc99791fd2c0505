"""Forward-mode dual numbers in float64: the oracle hidden suites compare a learner's engine against.

A ``Dual`` carries a value and its derivative with respect to every input at once (a tangent
vector), so one forward pass gives every leaf's gradient without any backward pass, topological
order or accumulation: none of the things a learner can get wrong. It also carries a second
tangent, ``m``, the sum of the *absolute values* of every path's contribution; comparisons use it
to scale their tolerance where contributions cancel (rounding errors are relative to ``m``, not
to the final gradient).

It supports exactly the operations a scalar engine has: + - * / with plain numbers on either side,
``** number``, unary -, relu(), tanh() and exp(). It has no ``__iadd__``, so ``x += y`` builds a
new Dual, as it must for a Value.
"""

from __future__ import annotations

import math
from numbers import Real


class Dual:
    __slots__ = ("v", "d", "m")

    def __init__(self, v: float, d: list[float] | None = None, m: list[float] | None = None):
        self.v = float(v)
        self.d = d  # d self / d input_i for every input; None for a constant
        self.m = m  # sum over paths of |product of local derivatives|; None for a constant

    @classmethod
    def inputs(cls, values) -> list["Dual"]:
        """One Dual per input value, each the identity in its own direction."""
        n = len(values)
        out = []
        for i, x in enumerate(values):
            unit = [0.0] * n
            unit[i] = 1.0
            out.append(cls(x, unit, list(unit)))
        return out

    @classmethod
    def const(cls, x) -> "Dual":
        """A constant (zero tangent): what ``Value(c)`` means to the oracle."""
        return cls(x)

    def grad(self, i: int) -> float:
        return 0.0 if self.d is None else self.d[i]

    def scale(self, i: int) -> float:
        return 0.0 if self.m is None else self.m[i]

    def __repr__(self) -> str:
        return f"Dual({self.v!r}, d={self.d!r})"

    # -- binary ------------------------------------------------------------------------------------
    def __add__(self, other):
        o = _lift(other)
        if o is NotImplemented:
            return o
        return _make(self.v + o.v, (1.0, self), (1.0, o))

    def __radd__(self, other):
        o = _lift(other)
        if o is NotImplemented:
            return o
        return _make(o.v + self.v, (1.0, o), (1.0, self))

    def __sub__(self, other):
        o = _lift(other)
        if o is NotImplemented:
            return o
        return _make(self.v - o.v, (1.0, self), (-1.0, o))

    def __rsub__(self, other):
        o = _lift(other)
        if o is NotImplemented:
            return o
        return _make(o.v - self.v, (1.0, o), (-1.0, self))

    def __mul__(self, other):
        o = _lift(other)
        if o is NotImplemented:
            return o
        return _make(self.v * o.v, (o.v, self), (self.v, o))

    def __rmul__(self, other):
        o = _lift(other)
        if o is NotImplemented:
            return o
        return _make(o.v * self.v, (self.v, o), (o.v, self))

    def __truediv__(self, other):
        o = _lift(other)
        if o is NotImplemented:
            return o
        return _make(self.v / o.v, (1.0 / o.v, self), (-self.v / (o.v * o.v), o))

    def __rtruediv__(self, other):
        o = _lift(other)
        if o is NotImplemented:
            return o
        return _make(o.v / self.v, (1.0 / self.v, o), (-o.v / (self.v * self.v), self))

    def __pow__(self, k):
        if isinstance(k, Dual) or not isinstance(k, Real):
            return NotImplemented
        k = float(k)
        local = 0.0 if k == 0 else k * self.v ** (k - 1)
        return _make(self.v ** k, (local, self))

    # -- unary -------------------------------------------------------------------------------------
    def __neg__(self):
        return _make(-self.v, (-1.0, self))

    def relu(self):
        if self.v == 0:
            raise ValueError("relu at exactly 0 has no derivative; the suite never asks for it")
        return _make(self.v if self.v > 0 else 0.0, (1.0 if self.v > 0 else 0.0, self))

    def tanh(self):
        t = math.tanh(self.v)
        return _make(t, (1.0 - t * t, self))

    def exp(self):
        e = math.exp(self.v)
        return _make(e, (e, self))


def _lift(x):
    if isinstance(x, Dual):
        return x
    if isinstance(x, Real):
        return Dual(x)
    return NotImplemented


def _make(v: float, *parts: tuple[float, Dual]) -> Dual:
    d = m = None
    for g, x in parts:
        if x.d is None:
            continue
        if d is None:
            d = [g * t for t in x.d]
            m = [abs(g) * t for t in x.m]
        else:
            d = [p + g * t for p, t in zip(d, x.d)]
            m = [p + abs(g) * t for p, t in zip(m, x.m)]
    return Dual(v, d, m)
