"""Task neuron: Neuron(nin, nonlin=True) is relu(w . x + b) over its own nin + 1 live parameters.

Checked from outside: the parameters are nudged one at a time through parameters() to see what
each does (a weight moves the output at the rate of its input, the bias at rate 1), and all of
them flipped in sign to see relu. Inputs are plain numbers or Values. Uses + * and relu().
"""

import pytest
from ugrad_quest.testkit import checks, nets
from ugrad_quest.testkit.checks import close, fail, fmt2

pytestmark = pytest.mark.task("neuron")


@pytest.fixture
def nk(Value, nn):
    return nets.NetKit(Value, nn)


def test_output_is_one_value(nk):
    r = checks.rng()
    for nin in (1, 3):
        n, label = nk.make("Neuron", nin)
        xs = nets.draw_inputs(r, nin)
        nk.outputs(n, xs, label, None)
        nk.outputs(n, [nk.V(x) for x in xs], label, None)


def test_parameters_are_the_weights_and_the_bias(nk):
    r = checks.rng()
    for nin in (1, 3, r.randint(4, 7)):
        n, label = nk.make("Neuron", nin)
        nets.check_count(nk, nk.params(n, label), label, [nin, 1])
    a, label = nk.make("Neuron", 3)
    b, _ = nk.make("Neuron", 3)
    pa, pb = nk.params(a, label), nk.params(b, label)  # both kept alive: ids of live objects only
    if {id(p) for p in pa} & {id(p) for p in pb}:
        fail("two Neurons made by Neuron(3) share parameter Values: make new Values in __init__ "
             "(self.w = [Value(...) for _ in range(nin)]), not in a class attribute or a default argument")


def test_linear_neuron_is_w_dot_x_plus_b(nk):
    r = checks.rng()
    for nin, as_values in ((1, False), (3, False), (r.randint(2, 6), True)):
        n, label = nk.make("Neuron", nin, nonlin=False)
        ps = nk.params(n, label)
        nets.check_count(nk, ps, label, [nin, 1])
        nets.probe_units(nk, n, ps, label, nin, None, nonlin=False, r=r, as_values=as_values)


def test_default_neuron_applies_relu(nk):
    r = checks.rng()
    for nin, as_values in ((2, False), (r.randint(3, 6), True)):
        n, label = nk.make("Neuron", nin)
        ps = nk.params(n, label)
        nets.check_count(nk, ps, label, [nin, 1])
        for _ in range(2):  # once with w . x + b > 0, once < 0, in some order
            nets.probe_units(nk, n, ps, label, nin, None, nonlin=True, r=r, as_values=as_values)


def test_backward_reaches_the_weights_the_bias_and_the_inputs(nk):
    r = checks.rng()
    nin = r.randint(2, 5)
    n, label = nk.make("Neuron", nin, nonlin=False)
    ps = nk.params(n, label)
    nets.check_count(nk, ps, label, [nin, 1])
    (role,) = nets.probe_units(nk, n, ps, label, nin, None, nonlin=False, r=r)
    xs = nets.draw_inputs(r, nin)
    x = [nk.V(v) for v in xs]
    before = nk.grads(ps)
    if any(before):
        fail(f"a new {label}'s parameters have grads {nets.fmt_list(before)}, expected 0: every Value starts "
             "with grad 0")
    out = nk.outputs(n, x, label, None)[0]
    call = f"out = {label}({nk.x_text(x)})"
    nk.kit.backward(out, "out")
    got = nk.grads(ps)
    want = [0.0] * len(ps)
    for i, k in role.items():
        want[k] = 1.0 if i == "b" else xs[i]
    wrong = [k for k in range(len(ps)) if not close(got[k], want[k])]
    if wrong:
        k = wrong[0]
        what = "the bias" if role["b"] == k else f"the weight of x[{next(i for i, q in role.items() if q == k)}]"
        shown = f"{call}; out.backward() gave parameters()[{k}] ({what}) grad {fmt2(got[k], want[k])[0]}, expected {fmt2(got[k], want[k])[1]}"
        if not any(got):
            fail(f"{shown}: no gradient reached the weights and the bias; compute the output from the Values w "
                 "and b themselves (wi * xi), not from their .data numbers, or backward() cannot reach them")
        fail(f"{shown}: d(w . x + b)/dwi = xi and d(w . x + b)/db = 1")
    for i, k in role.items():
        if i == "b":
            continue
        g = nk.kit.grad(x[i], f"x[{i}]")
        w = ps[k].data
        if not close(g, w):
            fail(f"{call}; out.backward() gave x[{i}].grad = {fmt2(g, w)[0]}, expected its weight {fmt2(g, w)[1]}: "
                 "when the inputs are Values, multiply them as Values (wi * xi), so the gradient reaches them too")
