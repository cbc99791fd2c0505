"""A scalar autograd engine: your Value.

Each Value holds a number (`data`), the gradient of the final output with respect to it (`grad`),
and enough about how it was made to send gradients back to its inputs when you call backward().

Fill in the methods one task at a time; `quest check` tells you which task passes, and
`quest hint` helps when you are stuck. Every method below is a stub until you write it.
"""

import math  # tanh() and exp() will want it


class Value:
    """A scalar that remembers how it was computed."""

    def __init__(self, data, _children=(), _op=""):
        """Store `data` (an int or float), set `grad` to 0, and remember the Values this one was
        made from (`_children`) plus a way to push this node's grad back into theirs (for a Value
        made from a plain number, a step that does nothing: it has no inputs).

        Task: add-mul
        """
        raise NotImplementedError("Value.__init__ is not written yet")

    def __add__(self, other):
        """Return a NEW Value for self + other. `other` may be a plain number: wrap it in a Value.
        Backward: d(a + b)/da = 1 and d(a + b)/db = 1, so each input's grad increases by out.grad.

        Task: add-mul
        """
        raise NotImplementedError("Value.__add__ is not written yet")

    def __radd__(self, other):
        """other + self, when `other` is a plain number (2 + a, and sum([...]), which starts at 0).

        Task: add-mul
        """
        raise NotImplementedError("Value.__radd__ is not written yet")

    def __mul__(self, other):
        """Return a NEW Value for self * other (wrap plain numbers).
        Backward: a.grad increases by b.data * out.grad, and b.grad by a.data * out.grad.

        Task: add-mul
        """
        raise NotImplementedError("Value.__mul__ is not written yet")

    def __rmul__(self, other):
        """other * self, when `other` is a plain number (3 * a).

        Task: add-mul
        """
        raise NotImplementedError("Value.__rmul__ is not written yet")

    def __neg__(self):
        """-self. Hint: self * -1 reuses what you already have.

        Task: more-ops
        """
        raise NotImplementedError("Value.__neg__ is not written yet")

    def __sub__(self, other):
        """self - other.

        Task: more-ops
        """
        raise NotImplementedError("Value.__sub__ is not written yet")

    def __rsub__(self, other):
        """other - self, when `other` is a plain number (2 - a).

        Task: more-ops
        """
        raise NotImplementedError("Value.__rsub__ is not written yet")

    def __pow__(self, other):
        """self ** other for a plain int or float exponent k (negative and fractional too).
        Backward: self.grad increases by k * self.data ** (k - 1) * out.grad.

        Task: more-ops
        """
        raise NotImplementedError("Value.__pow__ is not written yet")

    def __truediv__(self, other):
        """self / other. Hint: self * other ** -1.

        Task: more-ops
        """
        raise NotImplementedError("Value.__truediv__ is not written yet")

    def __rtruediv__(self, other):
        """other / self, when `other` is a plain number (2 / a).

        Task: more-ops
        """
        raise NotImplementedError("Value.__rtruediv__ is not written yet")

    def relu(self):
        """max(0, self). Backward: the gradient flows through only where the output is positive.

        Task: relu
        """
        raise NotImplementedError("Value.relu is not written yet")

    def tanh(self):
        """tanh(self). Backward: d tanh(x)/dx = 1 - tanh(x) ** 2.

        Task: tanh-exp
        """
        raise NotImplementedError("Value.tanh is not written yet")

    def exp(self):
        """e ** self. Backward: d exp(x)/dx = exp(x).

        Task: tanh-exp
        """
        raise NotImplementedError("Value.exp is not written yet")

    def backward(self):
        """Fill in .grad of every Value this one depends on, by the chain rule.

        Task add-mul already calls it, on expressions where only the inputs are used more than once
        (c = a * b + a), so write a first version now: set self.grad = 1, then run the backward step
        of every node from self back to the inputs. A list used as a stack will do: pop a node, run
        its backward step, push the Values it was made from.

        Task backprop makes it right for every graph. A node may feed several others (d = c * c), and
        its grad is complete only once all of them have passed theirs on: order the graph
        topologically (every node after its inputs), set self.grad = 1, then run each node's backward
        step exactly once, in reverse order. Gradients accumulate (+=).

        Tasks: add-mul (the first version), backprop, deep-graphs (a chain of 10,000 nodes: no recursion)
        """
        raise NotImplementedError("Value.backward is not written yet; task add-mul already calls it: "
                                  "its docstring says what a first version needs")

    def __repr__(self):
        return f"Value(data={getattr(self, 'data', '?')}, grad={getattr(self, 'grad', '?')})"
