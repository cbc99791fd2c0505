"""Task mlp: MLP(nin, nouts) chains its layers, relu on every layer but the last, and backward()
from a loss reaches every parameter with the right gradient.

The suite reads one attribute, ``layers`` (the starter documents it): spies stand in for the
layers to see what each was given. Gradients are compared with central differences of the same
loss (the sum of the squared outputs over a few inputs) in float64, after every parameter is set
to a fresh random number. Uses + * and relu().
"""

import pytest
from ugrad_quest.testkit import checks, nets
from ugrad_quest.testkit.checks import close, fail, fmt, fmt2

pytestmark = pytest.mark.task("mlp")

SHAPES = ((3, [4, 4, 1]), (2, [3, 2]))


@pytest.fixture
def nk(Value, nn):
    return nets.NetKit(Value, nn)


def _inputs(r, nin, k=1):
    return [[round(r.uniform(-2, 2), 2) for _ in range(nin)] for _ in range(k)]


def _randomize(nk, ps, r):
    nk.set_data(ps, [r.uniform(-1, 1) for _ in ps])


def test_parameter_count(nk):
    r = checks.rng()
    shapes = list(SHAPES) + [(r.randint(1, 4), [r.randint(2, 5), r.randint(2, 5), r.randint(1, 3)])]
    for nin, nouts in shapes:
        model, label = nk.make("MLP", nin, nouts)
        nets.check_count(nk, nk.params(model, label), label, [nin] + nouts)


def test_output_shape(nk):
    r = checks.rng()
    for nin, nouts in SHAPES:
        model, label = nk.make("MLP", nin, nouts)
        (x,) = _inputs(r, nin)
        nk.outputs(model, x, label, nouts[-1])
        nk.outputs(model, [nk.V(v) for v in x], label, nouts[-1])


def test_parameters_are_live(nk):
    r = checks.rng()
    for nin, nouts in SHAPES:
        model, label = nk.make("MLP", nin, nouts)
        ps = nk.params(model, label)
        for _ in range(5):
            x = _inputs(r, nin, 3)
            _randomize(nk, ps, r)
            before = [nk.values(model, xi, label, nouts[-1]) for xi in x]
            _randomize(nk, ps, r)
            after = [nk.values(model, xi, label, nouts[-1]) for xi in x]
            if before != after or any(v for out in after for v in out):
                break  # (all 0 both times happens only with relu on the last layer: the next test's business)
        if before == after and any(v for out in after for v in out):
            fail(f"parameters() returned Values that are not the ones used in the forward pass (setting p.data for "
                 f"every p in {label}.parameters() did not change its output): return the live w and b, not copies")


def test_layers_are_chained(nk):
    r = checks.rng()
    for nin, nouts in SHAPES + ((2, [3, 3, 2]),):
        model, label = nk.make("MLP", nin, nouts)
        ps = nk.params(model, label)
        nets.mlp_layers(nk, model, label, len(nouts))
        for x in _inputs(r, nin, 2):
            _randomize(nk, ps, r)
            nets.check_chained(nk, model, label, x, len(nouts), nouts[-1])


def test_hidden_layers_apply_relu_and_the_last_is_linear(nk):
    r = checks.rng()
    for nin, nouts in SHAPES:
        model, label = nk.make("MLP", nin, nouts)
        ps = nk.params(model, label)
        layers = nets.mlp_layers(nk, model, label, len(nouts))
        last = nk.params(layers[-1], f"{label}.layers[-1]")
        for x in _inputs(r, nin, 3):
            _randomize(nk, ps, r)
            call = f"{label}({nets.fmt_list(x)})"
            a = nk.values(model, x, label, nouts[-1])
            for p in last:
                p.data = -p.data
            b = nk.values(model, x, label, nouts[-1])
            for p in last:
                p.data = -p.data
            if a == b and not any(a):
                continue  # every hidden unit off and no bias: nothing to negate (never with biases)
            if a == b:
                fail(f"negating every parameter in {label}.layers[-1].parameters() did not change the output of "
                     f"{call}: the last layer's parameters() must return the live w and b it computes with")
            for j, (u, v) in enumerate(zip(a, b)):
                if close(v, -u):
                    continue
                if min(u, v) == 0 and max(u, v) > 0:
                    fail(f"the last layer applied a nonlinearity: the output layer must be linear (nonlin=False), as "
                         f"in micrograd's MLP ({call} gave {fmt(u)}, and {fmt(v)} with the last layer's weights and "
                         "biases negated; a linear last layer gives two opposite numbers, relu makes one of them 0)")
                fail(f"{call} gave {fmt(u)}, and {fmt(v)} with the last layer's weights and biases negated, where a "
                     f"linear last layer gives {fmt(-u)}")
        # Hidden layers: relu, so never negative (a linear one would be, about half the time).
        for x in _inputs(r, nin, 4):
            _randomize(nk, ps, r)
            _, log = nets.chain_of_layers(nk, model, label, x, len(nouts), nouts[-1])
            if log is None:  # no spies here: the same check on the layers applied by hand
                log = nets.layers_by_hand(nk, model, label, x, len(nouts))
            for i, _, returned in log[:-1]:
                negative = [v for v in returned or [] if v < 0]
                if negative:
                    fail(f"layer {i + 1} of {label}({nets.fmt_list(x)}) gave a negative output, {fmt(negative[0])}: "
                         "hidden layers apply relu (nonlin=True); only the last layer is linear")


def test_gradients_match_central_differences(nk):
    r = checks.rng()
    for nin, nouts in SHAPES:
        model, label = nk.make("MLP", nin, nouts)
        ps = nk.params(model, label)
        nets.check_count(nk, ps, label, [nin] + nouts)
        for _ in range(6):
            _randomize(nk, ps, r)
            inputs = _inputs(r, nin, 3)
            want = nets.expected_gradients(nk, model, ps, label, inputs, nouts[-1])
            if want is not None:
                break
        else:
            pytest.skip("relu kinks in every draw")  # about one chance in 10**12
        start = nk.grads(ps)
        if any(start):
            fail(f"a new {label}'s parameters have nonzero grads before any backward(), e.g. {fmt(next(g for g in start if g))}: "
                 "every Value starts with grad 0")
        where = (f"model = {label}; every parameter set to a random number; loss = the sum of the squared outputs "
                 f"for the inputs {', '.join(nets.fmt_list(x) for x in inputs)}")
        loss = nk.call(where, lambda: nets.squares_loss(nk, model, label, inputs, nouts[-1]))
        want_loss = nets.squares_loss_value(nk, model, label, inputs, nouts[-1])
        got_loss = nk.kit.data(loss, "loss")
        if not close(got_loss, want_loss):
            fail(f"{where}: loss.data = {fmt2(got_loss, want_loss)[0]}, expected {fmt2(got_loss, want_loss)[1]} "
                 "(see quest value: + and * must be right)")
        nk.kit.backward(loss, "loss")
        got = nk.grads(ps)
        wrong = [k for k in range(len(ps)) if not nets.grad_close(got[k], want[k])]
        if not wrong:
            continue
        k = wrong[0]
        shown = (f"{where}; loss.backward() gave {len(wrong)} of {len(ps)} parameters a wrong grad, e.g. "
                 f"parameters()[{k}].grad = {fmt2(got[k], want[k])[0]}, expected {fmt2(got[k], want[k])[1]} (how fast "
                 "the loss changes with its data)")
        if not any(got):
            fail(f"{shown}: no gradient reached the parameters; compute with the parameter Values themselves "
                 "(wi * xi with the Values w and b, not their .data numbers), so backward() can reach them")
        if all(nets.grad_close(got[k], 2 * want[k]) for k in range(len(ps))):
            fail(f"{shown}: every grad is twice what it should be; does the forward pass call backward(), or add "
                 "a term twice?")
        cause = checks.diagnose(nk.kit, ("add", "mul", "accumulate", "radd", "rmul", "relu"))
        if cause:
            fail(f"{shown}. The engine is the likely cause: {cause.replace('(see task', '(see quest value, task')}")
        fail(shown)
