"""Task layer: Layer(nin, nout, **kwargs) is nout neurons over the same input, one output each.

Checked from outside, like task neuron: every parameter must change exactly one output, at the
rate of an input (a weight) or at rate 1 (a bias). Uses + * and relu().
"""

import pytest
from ugrad_quest.testkit import checks, nets
from ugrad_quest.testkit.checks import fail

pytestmark = pytest.mark.task("layer")


@pytest.fixture
def nk(Value, nn):
    return nets.NetKit(Value, nn)


def test_one_output_per_neuron(nk):
    r = checks.rng()
    for nin, nout in ((3, 4), (2, r.randint(2, 5)), (3, 1)):
        layer, label = nk.make("Layer", nin, nout)
        xs = nets.draw_inputs(r, nin)
        nk.outputs(layer, xs, label, nout)
        nk.outputs(layer, [nk.V(x) for x in xs], label, nout)


def test_parameters_of_every_neuron(nk):
    r = checks.rng()
    for nin, nout in ((3, 4), (r.randint(1, 4), r.randint(2, 5)), (4, 1)):
        layer, label = nk.make("Layer", nin, nout)
        nets.check_count(nk, nk.params(layer, label), label, [nin, nout])
    a, label = nk.make("Layer", 2, 3)
    b, _ = nk.make("Layer", 2, 3)
    pa, pb = nk.params(a, label), nk.params(b, label)  # both kept alive: ids of live objects only
    if {id(p) for p in pa} & {id(p) for p in pb}:
        fail("two Layers made by Layer(2, 3) share parameter Values: each Layer makes new Neurons in __init__")


def test_linear_layer_neurons_each_compute_w_dot_x_plus_b(nk):
    r = checks.rng()
    for nin, nout, as_values in ((3, 2, False), (r.randint(1, 4), r.randint(2, 4), True), (2, 1, False)):
        layer, label = nk.make("Layer", nin, nout, nonlin=False)
        ps = nk.params(layer, label)
        nets.check_count(nk, ps, label, [nin, nout])
        nets.probe_units(nk, layer, ps, label, nin, nout, nonlin=False, r=r, as_values=as_values)


def test_default_layer_applies_relu(nk):
    r = checks.rng()
    for nin, nout in ((3, 3), (r.randint(1, 4), r.randint(2, 4))):
        layer, label = nk.make("Layer", nin, nout)
        ps = nk.params(layer, label)
        nets.check_count(nk, ps, label, [nin, nout])
        for _ in range(2):
            nets.probe_units(nk, layer, ps, label, nin, nout, nonlin=True, r=r)
