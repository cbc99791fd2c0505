"""Task zero-grad: zero_grad() sets every parameter's grad back to 0, so that a second
forward/backward pass gives the same gradients as the first instead of adding to them.

Uses + * and relu().
"""

import pytest
from ugrad_quest.testkit import checks, nets
from ugrad_quest.testkit.checks import fail, fmt

pytestmark = pytest.mark.task("zero-grad")

MODULES = (("Neuron", (3,), None), ("Layer", (3, 2), 2), ("MLP", (3, [4, 4, 1]), 1))


@pytest.fixture
def nk(Value, nn):
    return nets.NetKit(Value, nn)


def _pass(nk, module, label, ps, inputs, n_out):
    """One fresh forward and backward pass; the parameters' grads after it."""
    loss = nk.call(f"loss = the sum of the squared outputs of {label}",
                   lambda: nets.squares_loss(nk, module, label, inputs, n_out))
    nk.kit.backward(loss, "loss")
    return nk.grads(ps)


def _setup(nk, r, cls, args, n_out):
    """A module with fresh random parameters, and inputs for which some gradient is not 0 (with
    relu, a Neuron can be 0 on every input)."""
    module, label = nk.make(cls, *args)
    ps = nk.params(module, label)
    nin = args[0]
    for _ in range(20):
        nk.set_data(ps, nets.draw_params(r, len(ps)))
        inputs = [nets.draw_inputs(r, nin) for _ in range(3)]
        if any(v != 0 for x in inputs for v in nk.values(module, x, label, n_out)):
            break
    return module, label, ps, inputs


def _zero_grad(nk, module, label):
    nk.call(f"{label}.zero_grad()", lambda: module.zero_grad())


def _need_gradients(label, grads):
    if not any(grads):
        fail(f"loss.backward() left every parameter of {label} with grad 0, so zero_grad() has nothing to reset: "
             "make the gradients reach the parameters first (tasks neuron and mlp)")


def test_zero_grad_sets_every_grad_to_zero(nk):
    r = checks.rng()
    for cls, args, n_out in MODULES:
        module, label, ps, inputs = _setup(nk, r, cls, args, n_out)
        grads = _pass(nk, module, label, ps, inputs, n_out)
        _need_gradients(label, grads)
        data = [p.data for p in ps]
        _zero_grad(nk, module, label)
        after = nk.grads(ps)
        left = [k for k, g in enumerate(after) if g != 0]
        if left:
            k = left[0]
            fail(f"after loss.backward() and {label}.zero_grad(), {len(left)} of {len(ps)} parameters still have a "
                 f"nonzero grad (parameters()[{k}].grad = {fmt(after[k])}): zero_grad() must set p.grad = 0 for every "
                 "p in self.parameters()")
        changed = [k for k, (p, d) in enumerate(zip(ps, data)) if p.data != d]
        if changed:
            fail(f"{label}.zero_grad() changed parameters()[{changed[0]}].data from {fmt(data[changed[0]])} to "
                 f"{fmt(ps[changed[0]].data)}: reset only the grads")


def test_two_passes_separated_by_zero_grad_give_equal_gradients(nk):
    r = checks.rng()
    for cls, args, n_out in MODULES[1:]:
        module, label, ps, inputs = _setup(nk, r, cls, args, n_out)
        first = _pass(nk, module, label, ps, inputs, n_out)
        _need_gradients(label, first)
        _zero_grad(nk, module, label)
        second = _pass(nk, module, label, ps, inputs, n_out)
        wrong = [k for k in range(len(ps)) if not nets.grad_close(second[k], first[k])]
        if not wrong:
            continue
        k = wrong[0]
        shown = (f"on {label}, forward, backward, zero_grad(), then the same forward and backward again gave "
                 f"parameters()[{k}].grad = {fmt(second[k])} the second time and {fmt(first[k])} the first")
        if all(nets.grad_close(second[i], 2 * first[i]) for i in range(len(ps))):
            fail(f"{shown}: the second pass added to the first's gradients (+=), so zero_grad() did not reset them; "
                 "it must set p.grad = 0 for every p in self.parameters()")
        fail(f"{shown}: after zero_grad() a fresh pass must give the same gradients")
