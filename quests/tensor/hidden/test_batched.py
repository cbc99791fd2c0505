"""Task batched (bonus): the mlp quest's two moons, trained full-batch with the learner's Tensor (a
two-layer net written with @, relu and the hinge loss), and the same training with the learner's own
scalar MLP, each timed by the CPU time the judge reads from outside their engine worker.

It passes when the Tensor's training gives the reference's loss at every epoch (so the loss goes down
as the reference's does), and reports how many times less CPU an epoch takes with tensors. It is not a
speed tier: what it shows is what batching buys, measured on the learner's own two engines.
"""

import importlib.util
import math
import statistics
import sys
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from ugrad_quest.testkit import state
from ugrad_quest.testkit.checks import fail, rng
from ugrad_quest.testkit.remote import RemoteError
from ugrad_quest.testkit import speed
from ugrad_quest.testkit.speed import fmt_ms, fmt_ratio

pytestmark = pytest.mark.task("batched")

FILE = Path(__file__).with_name("_batched.py")
ROUNDS = 5
TARGET = 0.3
"""CPU seconds per side and round (the scalar side runs whole epochs, at least one). The ratio is the
median of the rounds' ratios; both sides of a round run at once and start with the last run's garbage
collected, so neither pays for the other's heap or for a busier moment of the machine."""
CHECKED_EPOCHS = 60
LOSS_REL_TOL = 1e-6


def batched():
    """This folder's _batched.py, loaded once in the judge (the quest's own code, not the learner's)."""
    if "_tensor_batched" not in sys.modules:
        spec = importlib.util.spec_from_file_location("_tensor_batched", FILE)
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
        sys.modules["_tensor_batched"] = module
    return sys.modules["_tensor_batched"]


def mismatch(losses, want, who: str) -> str:
    if not isinstance(losses, list) or len(losses) != len(want):
        return f"training with {who} returned {losses!r} instead of one loss per epoch"
    for i, (a, b) in enumerate(zip(losses, want)):
        if not (isinstance(a, float) and math.isclose(a, b, rel_tol=LOSS_REL_TOL, abs_tol=1e-12)):
            return (f"training the two moons full-batch with {who}, the loss of epoch {i} is {a!r}, where the "
                    f"same steps computed by the judge give {b:.12g}")
    return ""


@pytest.fixture
def engines(judge):
    """Two workers of their own, one per side, each with the learner's engine, nn and tensor modules and
    _batched.py beside them. The sides run at the same time, as the optimize quest's speed rounds do: on
    a busy machine both then share the same contention, which CPU time alone does not cancel."""
    modules = {m: f"{state.PACKAGE}.{m}" for m in ("engine", "nn", "tensor")}
    modules.update(numpy="numpy", batched={"file": str(FILE), "name": "_tensor_batched"})
    meter = speed.shared_meter(judge.budgets)
    engines = {side: judge.engine(modules, extra_read=(str(FILE),), meter=meter) for side in ("tensor", "scalar")}
    yield engines
    for engine in engines.values():
        engine.close()


def test_full_batch_training(engines, learner, record_property):
    learner("tensor")
    try:
        learner("nn")
    except Exception as exc:  # noqa: BLE001 - no nn.py: the mlp quest is not done in this workspace
        fail(f"task batched times your Tensor against your scalar MLP from the mlp quest, and {exc}")
    B = batched()
    seed = rng().randrange(10**6)
    reference = B.reference_losses(seed, CHECKED_EPOCHS)
    sides = {}
    for side, engine in engines.items():
        helper, module = engine.module("batched"), engine.module("tensor" if side == "tensor" else "nn")
        sides[side] = (engine, helper.settle, helper.train_tensor if side == "tensor" else helper.train_scalar,
                       module.Tensor if side == "tensor" else module,
                       "your Tensor" if side == "tensor" else "your scalar MLP (ugrad/nn.py)")

    def run(side: str, runs: tuple[int, int]) -> tuple[float, str]:
        """(CPU seconds per epoch of `calls` training runs of `epochs` epochs each, what went wrong or "")."""
        calls, epochs = runs
        engine, settle, train, arg, who = sides[side]
        clock = engine.ensure().cpu
        want = reference[:epochs] if len(reference) >= epochs else B.reference_losses(seed, epochs)
        spent = 0.0
        for _ in range(calls):
            try:
                engine.call(settle)
                start = clock()
                losses = engine.call(train, [arg, seed, epochs])
            except RemoteError as exc:
                return 0.0, (f"training the two moons full-batch with {who} raised {exc.remote_type}: {exc}"
                             f"{exc.location()}")
            spent += clock() - start
            problem = mismatch(losses, want, who)
            if problem:
                also = " (the mlp quest's MLP: relu on hidden layers, a linear last layer)" if side == "scalar" else ""
                return 0.0, problem + also
        return max(spent, 1e-9) / (calls * epochs), ""

    def both(runs: dict) -> dict:
        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="batched") as pool:
            futures = {side: pool.submit(run, side, n) for side, n in runs.items()}
            results = {side: f.result() for side, f in futures.items()}
        for side in ("tensor", "scalar"):
            if results[side][1]:
                fail(results[side][1])
        return {side: seconds for side, (seconds, _) in results.items()}

    per_epoch = both({"tensor": (1, CHECKED_EPOCHS), "scalar": (1, 1)})  # checked, and warm
    # Tensor epochs are cheap: one run of many. A scalar epoch is a whole run of its own (its graph's
    # collection included), as many runs as fill the round.
    count = {side: max(1, math.ceil(TARGET / seconds)) for side, seconds in per_epoch.items()}
    rounds = [both({"tensor": (1, count["tensor"]), "scalar": (count["scalar"], 1)}) for _ in range(ROUNDS)]
    ratio = statistics.median(r["scalar"] / r["tensor"] for r in rounds)
    ms = {side: 1000 * statistics.median(r[side] for r in rounds) for side in ("tensor", "scalar")}
    record_property("note", f"one full-batch epoch of the two moons ({B.POINTS} points): your Tensor "
                    f"{fmt_ms(ms['tensor'])} ms, your scalar MLP {fmt_ms(ms['scalar'])} ms, {fmt_ratio(ratio)} less "
                    f"CPU time with tensors (median of {ROUNDS} rounds)")
