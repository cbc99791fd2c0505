"""A tensor autograd engine: your Tensor, on numpy.

A Tensor holds an array of numbers (`data`, a float64 numpy array), the gradient of the final output
with respect to each of them (`grad`, an array of the same shape), and enough about how it was made
to send gradients back to its inputs when you call backward(). It is your Value, one array at a time:
each operation's backward step is a vector-Jacobian product, the upstream gradient (out.grad, in
out's shape) turned into a gradient in each input's shape.

Operators broadcast as numpy does: a Tensor, a plain number or an ndarray on either side. Fill in the
methods one task at a time; `quest check` tells you which task passes, and `quest hint` helps when you
are stuck. Every method below is a stub until you write it.
"""

import numpy as np


class Tensor:
    """An array that remembers how it was computed."""

    # Given, not a task: with it, ndarray + Tensor makes numpy hand the operation to Tensor.__radd__
    # (without it, numpy would add the ndarray's numbers to the Tensor one at a time).
    __array_ufunc__ = None

    def __init__(self, data, _children=(), _op=""):
        """Store `data` (a number, a nested list or an ndarray) as `self.data`, a float64 ndarray
        (np.asarray(data, dtype=np.float64)); set `self.grad` to zeros of the same shape; remember
        the Tensors this one was made from (`_children`) and a backward step that does nothing yet.

        Task: elementwise
        """
        raise NotImplementedError("Tensor.__init__ is not written yet (task elementwise)")

    @property
    def shape(self):
        """The shape of `data`, a tuple of ints.

        Task: elementwise
        """
        raise NotImplementedError("Tensor.shape is not written yet (task elementwise)")

    # -- element-wise operations, with numpy broadcasting -------------------------------------------
    def __add__(self, other):
        """Return a NEW Tensor for self + other; `other` may be a Tensor, a number or an ndarray (wrap
        it in a Tensor). Backward: each input's grad increases by out.grad, summed back to that input's
        shape where numpy broadcast it (task broadcast).

        Tasks: elementwise, broadcast
        """
        raise NotImplementedError("Tensor.__add__ is not written yet (task elementwise)")

    def __radd__(self, other):
        """other + self, when `other` is a number or an ndarray (2 + t).

        Tasks: elementwise, broadcast
        """
        raise NotImplementedError("Tensor.__radd__ is not written yet (task elementwise)")

    def __mul__(self, other):
        """Return a NEW Tensor for self * other, element by element (not a matrix product).
        Backward: self.grad increases by other.data * out.grad, and other.grad by self.data * out.grad,
        each summed back to its input's shape.

        Tasks: elementwise, broadcast
        """
        raise NotImplementedError("Tensor.__mul__ is not written yet (task elementwise)")

    def __rmul__(self, other):
        """other * self, when `other` is a number or an ndarray (3 * t).

        Tasks: elementwise, broadcast
        """
        raise NotImplementedError("Tensor.__rmul__ is not written yet (task elementwise)")

    def __neg__(self):
        """-self.

        Task: elementwise
        """
        raise NotImplementedError("Tensor.__neg__ is not written yet (task elementwise)")

    def __sub__(self, other):
        """self - other.

        Tasks: elementwise, broadcast
        """
        raise NotImplementedError("Tensor.__sub__ is not written yet (task elementwise)")

    def __rsub__(self, other):
        """other - self, when `other` is a number or an ndarray (2 - t).

        Tasks: elementwise, broadcast
        """
        raise NotImplementedError("Tensor.__rsub__ is not written yet (task elementwise)")

    def __truediv__(self, other):
        """self / other, element by element.

        Tasks: elementwise, broadcast
        """
        raise NotImplementedError("Tensor.__truediv__ is not written yet (task elementwise)")

    def __rtruediv__(self, other):
        """other / self, when `other` is a number or an ndarray (2 / t).

        Tasks: elementwise, broadcast
        """
        raise NotImplementedError("Tensor.__rtruediv__ is not written yet (task elementwise)")

    def __pow__(self, k):
        """self ** k for a plain int or float k, element by element.
        Backward: self.grad increases by k * self.data ** (k - 1) * out.grad.

        Task: elementwise
        """
        raise NotImplementedError("Tensor.__pow__ is not written yet (task elementwise)")

    def relu(self):
        """max(0, x) element by element; the gradient passes where the output is > 0.

        Task: elementwise
        """
        raise NotImplementedError("Tensor.relu is not written yet (task elementwise)")

    def tanh(self):
        """tanh element by element; local derivative 1 - tanh(x) ** 2.

        Task: elementwise
        """
        raise NotImplementedError("Tensor.tanh is not written yet (task elementwise)")

    def exp(self):
        """exp element by element; local derivative exp(x).

        Task: elementwise
        """
        raise NotImplementedError("Tensor.exp is not written yet (task elementwise)")

    def log(self):
        """The natural log element by element; local derivative 1 / x.

        Task: elementwise
        """
        raise NotImplementedError("Tensor.log is not written yet (task elementwise)")

    # -- reductions ---------------------------------------------------------------------------------
    def sum(self, axis=None, keepdims=False):
        """The sum over `axis` (None: every axis; an int, negative too; or a tuple of ints), keeping
        the summed axes as size 1 when keepdims is true, as np.sum does. Backward: every element of
        the input gets the upstream gradient of the sum it went into, so out.grad is broadcast back
        to the input's shape (put the summed axes back first when keepdims is false).

        Task: reduce
        """
        raise NotImplementedError("Tensor.sum is not written yet (task reduce)")

    def mean(self, axis=None, keepdims=False):
        """The mean over `axis`, as np.mean does: the sum divided by the number of elements summed
        (so each input's gradient is the upstream gradient divided by that number too).

        Task: reduce
        """
        raise NotImplementedError("Tensor.mean is not written yet (task reduce)")

    # -- matrices and shapes ------------------------------------------------------------------------
    def __matmul__(self, other):
        """self @ other for 2-D matrices (n, k) @ (k, m) -> (n, m); `other` may be an ndarray.
        Backward: self.grad increases by out.grad @ other.data.T, other.grad by self.data.T @ out.grad.

        Task: matmul
        """
        raise NotImplementedError("Tensor.__matmul__ is not written yet (task matmul)")

    def __rmatmul__(self, other):
        """other @ self, when `other` is an ndarray.

        Task: matmul
        """
        raise NotImplementedError("Tensor.__rmatmul__ is not written yet (task matmul)")

    def reshape(self, *shape):
        """The same numbers in a new shape: t.reshape(2, 3) or t.reshape((2, 3)), -1 allowed as in
        numpy. Backward: the gradient is reshaped back to the input's shape.

        Task: shape
        """
        raise NotImplementedError("Tensor.reshape is not written yet (task shape)")

    def transpose(self):
        """The transpose of a 2-D tensor. Backward: the gradient is transposed back.

        Task: shape
        """
        raise NotImplementedError("Tensor.transpose is not written yet (task shape)")

    @property
    def T(self):
        """t.T is t.transpose().

        Task: shape
        """
        raise NotImplementedError("Tensor.T is not written yet (task shape)")

    # -- a stable log-sum-exp -----------------------------------------------------------------------
    def logsumexp(self, axis=-1, keepdims=False):
        """log(sum(exp(x))) over `axis`, computed so that logits of 1000 do not overflow: subtract the
        maximum along the axis first and add it back after the log. Backward: the gradient with
        respect to x is the softmax of x along the axis, times the upstream gradient.

        Task: logsumexp
        """
        raise NotImplementedError("Tensor.logsumexp is not written yet (task logsumexp)")

    # -- backpropagation ----------------------------------------------------------------------------
    def backward(self):
        """Fill in .grad of every Tensor this one was computed from: seed self.grad with ones (in
        self's shape, whatever it is), then run each node's backward step in reverse topological
        order (each node after every node that uses it), adding into grads, never assigning.

        Tasks: elementwise (and every task after it), backprop
        """
        raise NotImplementedError("Tensor.backward is not written yet (task elementwise)")

    def __repr__(self):
        return f"Tensor(shape={getattr(getattr(self, 'data', None), 'shape', '?')})"
