"""Task train: the learner's MLP learns two moons with the suite's own training loop.

The data set is generated here (fixed seed, no sklearn), every parameter is set from the suite's
own seeded generator (so neither the learner's random initialisation nor the order of
parameters() matters much), and the loop is micrograd's demo: max-margin loss relu(1 - y * score),
L2 regularisation, full-batch gradient descent with the learning rate decaying from 1.0 to 0.1.
It stops as soon as the training accuracy reaches 95%. Uses + * and relu().

Sized for micrograd's own engine: MLP(2, [32, 1]) on 40 points reaches 95% in about 12 steps
(under 40 for every one of 2,000 initialisations tried), about 2 s; 50 steps are allowed.
"""

import pytest
from ugrad_quest.testkit import nets
from ugrad_quest.testkit.checks import fail

pytestmark = pytest.mark.task("train")

POINTS, NOISE, DATA_SEED = 40, 0.1, 3
SHAPE = (2, [32, 1])
INIT_SEED = 0
MAX_STEPS = 50
TARGET = 0.95


@pytest.fixture
def nk(Value, nn):
    return nets.NetKit(Value, nn)


def test_learns_two_moons(nk):
    xs, ys = nets.two_moons(POINTS, NOISE, DATA_SEED)
    model, label = nk.make("MLP", *SHAPE)
    ps = nk.params(model, label)
    result = nets.train_two_moons(nk, model, ps, label, xs, ys, max_steps=MAX_STEPS, target=TARGET,
                                  init_seed=INIT_SEED)
    if result.reached:
        return
    first, last = result.losses[0], result.losses[-1]
    msg = (f"after {result.steps} steps of gradient descent on {POINTS} two-moons points, {label} classified "
           f"{result.accuracy:.0%} of them correctly (best {result.best:.0%}), expected at least {TARGET:.0%}; "
           f"the loss went from {first:.4g} to {last:.4g}")
    if result.outputs == result.first_outputs and any(result.outputs):
        msg += (": training did not change the model's outputs at all, although every p.data in parameters() "
                "moved; parameters() must return the live Values the forward pass uses, not copies (task neuron)")
    elif not any(result.outputs):
        msg += (": every output is 0, as if a relu sat on the last layer; the output layer must be linear "
                "(task mlp)")
    elif not last < first:
        msg += ": the loss did not go down, so the gradients do not fit the model (task mlp checks them)"
    else:
        msg += (": the loss went down, but not far enough; make tasks neuron, layer and mlp pass first (with "
                "them passing, this network learns the moons in about 12 steps)")
    fail(msg)
