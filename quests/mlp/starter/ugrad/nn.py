"""A tiny neural-net library on top of your own Value: Neuron, Layer and MLP, as in micrograd.

A Neuron computes w . x + b (its weights times the inputs, plus a bias), then relu() unless it is
linear; a Layer is a list of Neurons that all see the same input; an MLP is a list of Layers, each
fed the previous layer's output. Everything is built from Values, so loss.backward() fills in the
gradient of every weight and bias, and training is: forward, backward, nudge every parameter
against its gradient, repeat.

Keep micrograd's attribute names, later checks read them: an MLP keeps its layers in `self.layers`
(a list, applied in order), a Layer its neurons in `self.neurons`, a Neuron its weights in `self.w`
(a list of Values, one per input) and its bias in `self.b`. Otherwise this quest's checks look at
your classes from the outside: they call them, parameters() and zero_grad(), and change p.data to
see what each parameter does.

Fill in the methods one task at a time; `quest check` tells you which task passes, and
`quest hint` helps when you are stuck. Every method below is a stub until you write it.
"""

import random  # for the weights: random.uniform(-1, 1)

from .engine import Value  # your own Value, from quest value


class Module:
    """What Neuron, Layer and MLP have in common: parameters() and zero_grad()."""

    def zero_grad(self):
        """Set the grad of every parameter of this module back to 0, ready for the next backward().
        Gradients accumulate (+=), so without this the second backward() adds to the first one's.

        Task: zero-grad
        """
        raise NotImplementedError("Module.zero_grad is not written yet")

    def parameters(self):
        """Return a list of every parameter Value of this module. Module itself has none (return []);
        Neuron, Layer and MLP override this.

        Task: neuron
        """
        raise NotImplementedError("Module.parameters is not written yet")


class Neuron(Module):
    """One neuron: act = w . x + b, then act.relu() if nonlin, else act unchanged."""

    def __init__(self, nin, nonlin=True):
        """Make `nin` weights, self.w = [Value(random.uniform(-1, 1)) for each input], a bias
        self.b = Value(0), and remember `nonlin` (self.nonlin): True applies relu, False is linear.

        Task: neuron
        """
        raise NotImplementedError("Neuron.__init__ is not written yet")

    def __call__(self, x):
        """The forward pass: x is a list of `nin` numbers or Values. Return ONE Value,
        sum(wi * xi for each weight and input) + b, passed through relu() when self.nonlin.
        Compute with the Values w and b themselves (not their .data), so backward() reaches them.

        Task: neuron
        """
        raise NotImplementedError("Neuron.__call__ is not written yet")

    def parameters(self):
        """Every weight and the bias: the very Values used in __call__ (not copies), nin + 1 of them.

        Task: neuron
        """
        raise NotImplementedError("Neuron.parameters is not written yet")

    def __repr__(self):
        return f"Neuron({len(getattr(self, 'w', []))})"


class Layer(Module):
    """`nout` neurons side by side, each seeing the whole input."""

    def __init__(self, nin, nout, **kwargs):
        """Make self.neurons, a list of `nout` Neurons with `nin` inputs each. Pass **kwargs on to
        every Neuron, so that Layer(nin, nout, nonlin=False) is a linear layer.

        Task: layer
        """
        raise NotImplementedError("Layer.__init__ is not written yet")

    def __call__(self, x):
        """Apply every neuron to the same input x; return the list of their outputs, one per neuron
        (micrograd returns the bare Value when there is only one neuron; either is fine).

        Task: layer
        """
        raise NotImplementedError("Layer.__call__ is not written yet")

    def parameters(self):
        """Every parameter of every neuron, in one flat list.

        Task: layer
        """
        raise NotImplementedError("Layer.parameters is not written yet")

    def __repr__(self):
        return f"Layer of {len(getattr(self, 'neurons', []))} neurons"


class MLP(Module):
    """A multi-layer perceptron: MLP(3, [4, 4, 1]) takes 3 inputs through layers of 4, 4 and 1 neurons."""

    def __init__(self, nin, nouts):
        """Make self.layers (the checks read this list), one Layer per entry of `nouts`. Layer i takes
        as many inputs as the layer before it has outputs (the first takes `nin`): sizes = [nin] + nouts.
        Every layer applies relu except the last, which is linear (nonlin=False), so the output can be
        any number.

        Task: mlp
        """
        raise NotImplementedError("MLP.__init__ is not written yet")

    def __call__(self, x):
        """Feed x through the layers in order, each one taking the previous layer's output, and return
        the last layer's output.

        Task: mlp
        """
        raise NotImplementedError("MLP.__call__ is not written yet")

    def parameters(self):
        """Every parameter of every layer, in one flat list.

        Task: mlp
        """
        raise NotImplementedError("MLP.parameters is not written yet")

    def __repr__(self):
        return f"MLP of {len(getattr(self, 'layers', []))} layers"
