"""Does the learner's train_step compute the baseline's step? Steps from identical weights, compared.

Not a test module: task still-correct asserts it, and the speed tasks time nothing until it holds.

From weights drawn afresh on every check (set through MLP.layers[i].neurons[j].w[k] and .b), the
learner's train_step and the baseline's run the same steps: a demo-shaped net for three steps whose
points, batch size and learning rate all change, then two small nets of the same shape trained in
turn. After each step the returned loss and every weight must match within REL_TOL: reassociated
sums (a fused dot product, an n-ary sum) change only the last few bits, skipped work far more.
A mismatch is explained by the first known shortcut that reproduces the learner's numbers. The
gradients in p.grad after each step must be the step's too: that is how a step computed outside the
learner's own Values (hand-written backprop on lists of floats) is told from an optimized engine.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass
from numbers import Real

import _workloads as W

from ugrad_quest.runner.budget import TaskTimeout
from ugrad_quest.testkit.checks import fail, fmt, fmt2, rng
from ugrad_quest.testkit.remote import settle

REL_TOL = 1e-7
ABS_TOL = 1e-9

DEMO, FIRST, SECOND = "MLP(2, [16, 16, 1])", "a first MLP(2, [8, 8, 1])", "a second MLP(2, [8, 8, 1])"
SHAPES = {DEMO: [16, 16, 1], FIRST: [8, 8, 1], SECOND: [8, 8, 1]}
# (model, points, lr) of every step, in order
STEPS = ((DEMO, 8, 0.1), (DEMO, 8, 0.05), (DEMO, 5, 0.08),
         (FIRST, 6, 0.2), (SECOND, 6, 0.15), (FIRST, 4, 0.1), (SECOND, 4, 0.25))

_verdict: str | None = None  # None: not compared yet; "": the same step; else the first difference
shown = False
"""Whether task still-correct has shown the difference in this run (the speed tasks then only refer to it)."""


def verdict(nn, train_step) -> str:
    """'' when the learner's train_step matches the baseline's on every step, else the first difference."""
    global _verdict
    if _verdict is None:
        try:
            _compare(nn, train_step)
            _verdict = ""
        except AssertionError as exc:
            _verdict = str(exc)
        except TaskTimeout:
            # Said once, by the task that ran out of time; the tasks after it need not wait as long again.
            _verdict = "train_step did not finish its steps in time (see the first task that timed out)"
            raise
    return _verdict


def _location(exc: BaseException) -> str:
    """' (ugrad/train.py, line 12)' for an exception the learner's code raised in the engine worker."""
    location = getattr(exc, "location", None)
    return location() if callable(location) else ""


def close(a: float, b: float) -> bool:
    return math.isclose(a, b, rel_tol=REL_TOL, abs_tol=ABS_TOL)


@dataclass
class Step:
    model: str
    xs: list
    ys: list
    lr: float
    number: int  # of this model's steps, from 1


def _steps(seed: int) -> list[Step]:
    r = random.Random(seed)
    xs, ys = W.moons(W.POINTS, seed)
    out, counts = [], {}
    for model, size, lr in STEPS:
        idx = r.sample(range(len(xs)), size)
        counts[model] = counts.get(model, 0) + 1
        out.append(Step(model, [list(xs[i]) for i in idx], [ys[i] for i in idx], lr, counts[model]))
    return out


def _params(model) -> list:
    out = []
    for _, _, neuron in W.neurons(model):
        out.extend(neuron.w)
        out.append(neuron.b)
    return out


def _number(x, what: str) -> float:
    if isinstance(x, bool) or not isinstance(x, Real):
        fail(f"{what} is {x!r}, expected a plain number")
    return float(x)


def _learner_weights(model, where: str) -> list[float]:
    try:
        pairs = W.weights(model)
    except (AttributeError, TypeError) as exc:
        fail(f"after the step {where}: could not read the weights through MLP.layers[i].neurons[j].w[k] "
             f"and .b: {type(exc).__name__}: {exc}")
    return [_number(v, f"after the step {where}, {name}.data") for name, v in pairs]


def _compare(nn, train_step) -> None:
    seed = rng().randrange(2**31)
    base = W.load_baseline()
    learners, refs = {}, {}
    for k, (name, nouts) in enumerate(SHAPES.items()):
        try:
            learners[name] = nn.MLP(2, list(nouts))
            W.set_weights(learners[name], seed + k)
            settle(learners[name])
        except Exception as exc:  # noqa: BLE001 - explained to the learner
            fail(f"building {name} with your nn and setting its weights through .layers, .neurons, .w and .b "
                 f"failed: {type(exc).__name__}: {exc}{_location(exc)}")
        refs[name] = base.MLP(2, list(nouts))
        W.set_weights(refs[name], seed + k)
    done: dict[str, list[tuple[Step, list[float], list[float]]]] = {name: [] for name in SHAPES}
    totals = {name: sum(m == name for m, _, _ in STEPS) for name in SHAPES}
    for step in _steps(seed):
        where = (f"on {step.model}, step {step.number} of {totals[step.model]} ({len(step.xs)} points, "
                 f"lr {fmt(step.lr)})")
        ref = refs[step.model]
        before = ([float(p.data) for p in _params(ref)], [float(p.grad) for p in _params(ref)])
        done[step.model].append((step, *before))
        try:
            got = train_step(learners[step.model], [list(x) for x in step.xs], list(step.ys), step.lr)
        except Exception as exc:  # noqa: BLE001 - explained to the learner
            fail(f"{where}: your train_step raised {type(exc).__name__}: {exc}{_location(exc)}")
        if isinstance(got, bool) or not isinstance(got, Real):
            fail(f"{where}: your train_step returned {got!r}, expected a plain number: return float(loss.data)")
        expected = base.train_step(ref, [list(x) for x in step.xs], list(step.ys), step.lr)
        if not close(got, expected):
            g, e = fmt2(float(got), expected)
            fail(f"{where}: your train_step returned loss {g}, the baseline's step gives {e}"
                 f"{_diagnose(step.model, done, refs, loss=float(got))}")
        weights = _learner_weights(learners[step.model], where)
        expected_weights = [float(p.data) for p in _params(ref)]
        if len(weights) != len(expected_weights):
            fail(f"after the step {where}: the model has {len(weights)} weights and biases, expected "
                 f"{len(expected_weights)}")
        bad = next((i for i, (a, b) in enumerate(zip(weights, expected_weights)) if not close(a, b)), None)
        if bad is not None:
            g, e = fmt2(weights[bad], expected_weights[bad])
            name = W.weights(ref)[bad][0]
            fail(f"after the step {where}: {name}.data = {g}, the baseline's step gives {e}"
                 f"{_diagnose(step.model, done, refs, weights=weights)}")
        _check_gradients(learners[step.model], ref, where)


def _check_gradients(model, ref, where: str) -> None:
    """The step's gradients are in p.grad afterwards, as loss.backward() on the learner's own Values left
    them: a step computed outside the engine (hand-written backprop on floats) leaves them alone."""
    try:
        grads = [_number(v, f"after the step {where}, {name}.grad") for name, v in W.weights(model, "grad")]
    except (AttributeError, TypeError) as exc:
        fail(f"after the step {where}: could not read p.grad through the layers' neurons: "
             f"{type(exc).__name__}: {exc}")
    expected = W.weights(ref, "grad")
    if any(g for _, g in expected) and not any(grads):
        fail(f"after the step {where}: every p.grad is 0, where loss.backward() leaves the step's gradients: "
             "your train_step computed the step outside your Values. The quest is to make your engine fast, so "
             "a step that does not run loss.backward() (or your own replay of the graph) through your Values, "
             "leaving the gradients in p.grad, earns no speed tier; zero them before backward(), not after "
             "the update")
    bad = next((i for i, (g, (_, e)) in enumerate(zip(grads, expected)) if not close(g, e)), None)
    if bad is not None:
        g, e = fmt2(grads[bad], expected[bad][1])
        fail(f"after the step {where}: {expected[bad][0]}.grad = {g}, where the baseline's loss.backward() "
             f"leaves {e}: leave each p.grad as backward() computed it for this step")


# -- naming the shortcut --------------------------------------------------------------------------------------
def _variant(nouts, weights, grads, xs, ys, lr, *, reg=True, zero=True, forward_weights=None):
    """(loss, weights after the update) of the baseline's step from (weights, grads) with one change:
    no regularisation, no zero_grad, or the forward pass on other weights."""
    base = W.load_baseline()
    model = base.MLP(2, list(nouts))
    params = _params(model)
    for p, w, g in zip(params, forward_weights or weights, grads):
        p.data, p.grad = w, g
    loss = sum((1 - y * model(x)).relu() for x, y in zip(xs, ys)) * (1.0 / len(xs))
    if reg:
        loss = loss + base.ALPHA * sum(p * p for p in params)
    if zero:
        model.zero_grad()
    loss.backward()
    return float(loss.data), [w - lr * p.grad for w, p in zip(weights, params)]


def _diagnose(name: str, done, refs, *, loss: float | None = None, weights: list[float] | None = None) -> str:
    """': <the shortcut>' when a known one reproduces the learner's loss (or weights), else a general word."""
    nouts = SHAPES[name]
    step, w0, g0 = done[name][-1]
    first, first_w, _ = done[name][0]

    def same(candidate) -> bool:
        c_loss, c_weights = candidate
        if loss is not None:
            return close(loss, c_loss)
        return all(close(a, b) for a, b in zip(weights, c_weights))

    def step_with(xs=step.xs, ys=step.ys, lr=step.lr, **change):
        return _variant(nouts, w0, g0, xs, ys, lr, **change)

    if same(step_with(reg=False)):
        return (": the loss leaves out the regularisation term ALPHA * sum(p * p for p in model.parameters()) "
                "(or its gradient)")
    if step.number > 1 and same(step_with(zero=False)):
        return (": the gradients of the earlier steps are still in p.grad; call model.zero_grad() before "
                "loss.backward() on every step")
    if any(same(step_with(xs=s.xs, ys=s.ys)) for s, _, _ in done[name][:-1]):
        return (": that is the step on the points of an earlier call; a graph kept between calls must take "
                "in the new xs and ys every time")
    if step.number > 1 and same(step_with(lr=first.lr)):
        return ": that is the step with the lr of the first call; use the lr given to every call"
    if step.number > 1 and same(step_with(forward_weights=first_w)):
        return (": that is the step with the weights of the first call; a graph kept between calls must "
                "read the weights as they are now (p.data changes after every step)")
    if loss is not None:
        _, after = step_with()
        if close(loss, _variant(nouts, after, g0, step.xs, step.ys, 0.0)[0]):
            return ": that is the loss after the update; return the loss computed before it"
        for other, ref in refs.items():
            theirs = [float(p.data) for p in _params(ref)]
            if other != name and SHAPES[other] == nouts and done[other] and same(step_with(forward_weights=theirs)):
                return (f": that is the loss of {other}, trained just before; a graph kept between calls "
                        "belongs to one model")
    return (f": an optimization may change the answer only by float rounding (relative {REL_TOL:g}); "
            "compare your step with the starter's train_step on the same batch")
