"""Timing the learner's code against a baseline: CPU seconds of fresh workers, measured by the judge.

Each side (``BASELINE``: the quest's own plain engine; ``LEARNER``: the learner's package) runs in an
engine worker of its own, a fresh one per round, so neither inherits the other's heap or garbage
collector state. On every workload the judge builds the model in the worker, sets its weights from
one seed (both sides get identical data, weights and batches), runs one warm-up step, then asks for
enough steps to take about ``target`` CPU seconds, in one request, and reads the worker's CPU clock
from outside before and after: nothing the learner's code says about time counts. A step's cost is
CPU time, so a busy machine, which stretches wall time, does not change it; threads do not hide
work either, since the clock counts every thread.

A workload's ratio is the median over rounds of baseline / learner within the round; the overall
ratio is the geometric mean of the workloads' ratios, so each workload counts the same however long
its steps are. The ms/step shown for a side are likewise the geometric mean over workloads of its
medians. The loss of every step either side took is compared with the same steps computed by the
judge (the workloads module's reference_losses): a train_step that skips work only while it is
timed is caught here. Everything a learner reads is phrased in ``Timing.problem``.
"""

from __future__ import annotations

import math
import statistics
import threading
from concurrent.futures import FIRST_EXCEPTION, ThreadPoolExecutor, wait
from dataclasses import dataclass, field

from ugrad_quest.testkit.remote import RemoteError
from ugrad_quest.worker.process import Usage, WorkerGone

BASELINE, LEARNER = "baseline", "learner"
MAX_STEPS_PER_REQUEST = 2000
MAX_TIMED_STEPS = 400
"""Steps timed per workload and round at most: a step a hundred times faster than the baseline's
(a Rust learner's tape) is still measured over many milliseconds, and the judge, which replays every
timed step's loss in plain floats at about 2 ms a step, is not kept busy for minutes."""
LOSS_REL_TOL = 1e-6


LEAK_MIB_PER_STEP = 4.0
"""Memory a learner's worker may gain per timed step, in the median round, before the step counts as
leaking: a graph of the wide workload is about 5 MiB, so a step that keeps every step's graph alive
(the collector switched off with cycles left behind) grows by about that much each time."""
LEAK_MIN_MIB = 24.0
"""Total growth in that round below which nothing is said (the allocator settling in)."""


class BaselineError(RuntimeError):
    """The baseline side failed: a problem with the quest, never the learner's."""


@dataclass(frozen=True)
class Tier:
    """A speed tier: a CPU-time ratio to reach, on every workload together (their geometric mean) or on
    one workload alone, the one where the lesson the tier teaches is what wins."""

    ratio: float
    workload: str | None = None

    @property
    def label(self) -> str:
        return f"{self.ratio:g}x" + (f" on {self.workload}" if self.workload else "")


@dataclass
class Timing:
    """CPU seconds per step of each side on each workload, one number per round."""

    workloads: tuple[str, ...]
    seconds: dict[str, dict[str, list[float]]] = field(default_factory=lambda: {BASELINE: {}, LEARNER: {}})
    problem: str = ""
    """Why the learner's side could not be (fully) timed, in learner terms; empty when it was."""
    stopped_early: str = ""
    """Why fewer rounds than planned were run (for authors; not an error)."""
    growth: list[float] = field(default_factory=list)
    """MiB the learner's worker gained per timed step, one number per round (the largest workload's)."""

    @property
    def rounds(self) -> int:
        return min((len(self.seconds[LEARNER].get(w, [])) for w in self.workloads), default=0)

    def ms(self, side: str, workload: str | None = None) -> float:
        """Median milliseconds per step; without a workload, the geometric mean over workloads."""
        if workload is None:
            return math.exp(statistics.fmean(math.log(self.ms(side, w)) for w in self.workloads))
        return 1000 * statistics.median(self.seconds[side][workload])

    def ratio(self, workload: str | None = None) -> float:
        """How many times less CPU than the baseline's the learner's step takes: the median over rounds
        of the round's ratio; without a workload, the geometric mean over workloads."""
        if workload is None:
            return math.exp(statistics.fmean(math.log(self.ratio(w)) for w in self.workloads))
        pairs = zip(self.seconds[BASELINE][workload], self.seconds[LEARNER][workload])
        return statistics.median(b / l for b, l in pairs)

    def round_ratio(self, r: int, workload: str | None = None) -> float:
        """Round r's ratio alone (on one workload, or the geometric mean over them)."""
        if workload is None:
            return math.exp(statistics.fmean(math.log(self.round_ratio(r, w)) for w in self.workloads))
        return self.seconds[BASELINE][workload][r] / self.seconds[LEARNER][workload][r]

    def reaches(self, tier: Tier, tolerance: float = 0.0, r: int | None = None, scale: float = 1.0) -> bool:
        """Whether the ratio (of round r alone, when given; scaled) reaches the tier, within tolerance."""
        ratio = self.ratio(tier.workload) if r is None else self.round_ratio(r, tier.workload)
        return ratio * scale >= tier.ratio * (1 - tolerance)

    def drop_round(self, r: int) -> None:
        """Forget whatever round r (0-based) measured: an unfinished round would favour one side."""
        for side in self.seconds.values():
            for samples in side.values():
                del samples[r:]
        del self.growth[r:]


class _OutOfTime(BaseException):
    """The measurement's own CPU budget ran out inside a worker (the worker is then stopped)."""


class _Capped:
    """A meter for the speed workers: the task's budgets, plus the measurement's own cap. The two sides of
    a round run at once, each exchange in a thread of its own, so the counts are kept under a lock, and
    each exchange's wall time counts half: the task's wall clock ran once for both."""

    def __init__(self, budgets, cap: float):
        self.budgets, self.cap, self.used = budgets, cap, 0.0
        self._lock = threading.Lock()

    @staticmethod
    def _shared(usage: Usage) -> Usage:
        return Usage(usage.cpu, usage.wall / 2, usage.idle)

    def check(self, usage: Usage, capped: bool = True) -> None:
        with self._lock:
            self.budgets.check(self._shared(usage))
            if capped and self.used + usage.cpu > self.cap:
                raise _OutOfTime()

    def uncapped(self) -> "_Uncapped":
        return _Uncapped(self)

    def charge(self, usage: Usage) -> None:
        with self._lock:
            self.budgets.charge(self._shared(usage))
            self.used += usage.cpu


def shared_meter(budgets) -> _Capped:
    """A meter for workers driven from two threads at once (a task timing two sides together), with no
    cap of its own: the task's budgets, counted under a lock, each exchange's wall time counted half."""
    return _Capped(budgets, math.inf)


class _Uncapped:
    """The baseline's view of the meter: counted alike, but never stopped by the measurement's cap, which a
    slow learner running beside it may have used up (the baseline's own cost is known and bounded)."""

    def __init__(self, meter: _Capped):
        self.meter = meter

    def check(self, usage: Usage) -> None:
        self.meter.check(usage, capped=False)

    def charge(self, usage: Usage) -> None:
        self.meter.charge(usage)


@dataclass
class Side:
    """What one side's worker did on one workload."""

    per_step: float = 0.0
    losses: list[float] = field(default_factory=list)
    """The loss of the warm-up step and of every timed step, in order."""
    growth: float = 0.0
    """MiB the worker's resident memory grew per timed step (after the warm-up step)."""
    steps: int = 0


def time_side(engine, workload, seed: int, target: float, W) -> Side:
    """Build ``workload`` in ``engine``'s worker, warm up, and time about ``target`` CPU seconds of steps.

    W is the quest's workloads module (model shapes, data, seeded weights)."""
    nn, train = engine.module("nn"), engine.module("train")
    step = train.train_step
    model = nn.MLP(workload.nin, list(workload.nouts))
    W.set_weights(model, seed)
    data = W.batches(seed, workload.batch, W.DISTINCT_BATCHES)
    worker = engine.ensure()
    clock = worker.cpu
    start = clock()
    losses = engine.repeat(step, [[model, *data[0], workload.lr]])
    warmup = max(clock() - start, 1e-6)
    side = Side(losses=list(losses))
    memory = worker.rss()
    spent, steps = 0.0, 0
    while spent < target and steps < MAX_TIMED_STEPS:
        # Sized from what the steps so far cost, each request with no pauses in the learner's code. The first
        # aims at half the target: a warm-up step can be far cheaper than the steps after it (the garbage
        # collector has not run yet), and a request sized from it alone would overshoot by seconds.
        per_step = spent / steps if steps else warmup
        aim = target - spent if steps else target / 2
        count = max(1, min(MAX_STEPS_PER_REQUEST, MAX_TIMED_STEPS - steps, math.ceil(aim / per_step)))
        calls = [[model, *data[(steps + i + 1) % len(data)], workload.lr] for i in range(count)]
        start = clock()
        side.losses += engine.repeat(step, calls)
        spent += clock() - start
        steps += count
    side.per_step, side.steps = spent / steps, steps
    after = worker.rss()
    if memory is not None and after is not None:
        side.growth = (after - memory) / 2**20 / steps
    return side


def compare(judge, baseline_modules: dict, baseline_file: str, W, *, seed: int, budget: float,
            tiers: tuple[Tier, ...] = (), target: float = 0.5, rounds: int = 9, min_rounds: int = 2,
            clear_rounds: int = 3, margin: float = 0.15, give_up_first: float = 1.25,
            give_up_below: float = 1.5) -> Timing:
    """Time baseline and learner side by side in fresh workers within `budget` CPU seconds.

    Stops before `rounds` when the next round would not fit in the budget (after one round at least);
    when the learner is clearly short of the first tier (after one round if its ratio is below
    `give_up_first`, after `min_rounds` if below `give_up_below`); or once `clear_rounds`
    rounds clearly land on the same tier of `tiers` (each round alone reaches the same tiers, and so does
    the median with `margin` up or down). A learner's worker that runs past the budget is stopped; after a
    complete round that only ends the measurement.
    """
    workloads = tuple(W.WORKLOADS)
    timing = Timing(tuple(w.name for w in workloads))
    meter = _Capped(judge.budgets, budget)
    longest_round = 0.0
    reference: dict[str, list[float]] = {}  # every round and side replays the same steps from the same seed
    for r in range(rounds):
        if r and meter.used + 1.2 * longest_round > budget:
            timing.stopped_early = f"the budget of {budget:.0f} CPU seconds fits {r} rounds"
            break
        before = meter.used
        losses: dict[str, dict[str, list[float]]] = {BASELINE: {}, LEARNER: {}}
        sides = _time_round(judge, baseline_modules, baseline_file, meter, workloads, seed, target, W,
                            (BASELINE, LEARNER) if r % 2 == 0 else (LEARNER, BASELINE))
        for who in (BASELINE, LEARNER):
            done, exc = sides[who]
            if exc is not None and who == BASELINE:
                raise BaselineError(f"the baseline could not be timed: {_what(exc)} (a problem with the quest)")
        done, exc = sides[LEARNER]
        if exc is not None:
            if isinstance(exc, _OutOfTime) and r > 0:
                timing.stopped_early = f"round {r + 1} did not fit in the budget of {budget:.0f} s"
                return timing
            for who in (BASELINE, LEARNER):  # what was timed before the learner's side stopped, for the message
                for workload, side in zip(workloads, sides[who][0]):
                    timing.seconds[who].setdefault(workload.name, []).append(side.per_step)
            timing.problem = _stopped_message(timing, workloads[len(done)].name, exc)
            timing.drop_round(r)
            return timing
        growth = (0.0, 0.0)  # the learner's largest total growth this round, and per step
        for who in (BASELINE, LEARNER):
            for workload, side in zip(workloads, sides[who][0]):
                timing.seconds[who].setdefault(workload.name, []).append(side.per_step)
                losses[who][workload.name] = side.losses
                if who == LEARNER:
                    growth = (max(growth[0], side.growth * side.steps), max(growth[1], side.growth))
        mismatch = _loss_mismatch(losses, W, seed, reference)
        if mismatch:
            timing.problem = mismatch
            return timing
        timing.growth.append(growth[1] if growth[0] >= LEAK_MIN_MIB else 0.0)
        longest_round = max(longest_round, meter.used - before)
        if timing.ratio() < give_up_first or (r + 1 >= min_rounds and timing.ratio() < give_up_below):
            timing.stopped_early = f"clearly short of the first tier after {r + 1} rounds"
            break
        if tiers and r + 1 >= clear_rounds and _clear(timing, tiers, margin):
            timing.stopped_early = f"every round clearly lands on the same tier after {r + 1} rounds"
            break
    leak = statistics.median(timing.growth) if timing.growth else 0.0
    if leak > LEAK_MIB_PER_STEP and not timing.problem:
        timing.problem = (f"your worker's memory grew by {leak:.1f} MiB with every timed step: each step's graph "
                          "stays alive after the step (with the garbage collector switched off, the reference "
                          "cycles of every node are never freed), so a long training run would fill the memory; "
                          "collect after the step (gc.collect()) or make nodes that form no cycles")
    return timing


def _time_round(judge, baseline_modules: dict, baseline_file: str, meter: _Capped, workloads, seed: int,
                target: float, W, order: tuple[str, str]) -> dict[str, tuple[list[Side], BaseException | None]]:
    """One round: both sides timed on every workload at once, each in a fresh worker of its own, each
    worker driven from a thread of the judge (CPU time is each process's own, so running side by side
    changes no count, and the round takes half the wall time where there are two cores).

    {side: (what it timed, workload by workload, and the error that stopped it or None)}. The task's
    own budget errors (TaskTimeout, MachineBusy) are raised, after both workers are stopped."""
    engines = {}
    try:
        for who in order:  # started one after the other, as the judge starts any worker
            engines[who] = judge.engine(baseline_modules if who == BASELINE else None,
                                        extra_read=(baseline_file,) if who == BASELINE else (),
                                        meter=meter.uncapped() if who == BASELINE else meter)

        def run(who: str) -> tuple[list[Side], BaseException | None]:
            done: list[Side] = []
            try:
                for workload in workloads:
                    done.append(time_side(engines[who], workload, seed, target, W))
            except (_OutOfTime, RemoteError, WorkerGone) as exc:
                engines[who].close()
                return done, exc
            return done, None

        with ThreadPoolExecutor(max_workers=2, thread_name_prefix="speed") as pool:
            futures = {who: pool.submit(run, who) for who in order}
            finished, _ = wait(futures.values(), return_when=FIRST_EXCEPTION)
            first = next((f.exception() for f in finished if f.exception() is not None), None)
            if first is not None:
                for engine in engines.values():  # the other side's worker stops too, and its thread returns
                    engine.close()
                wait(futures.values())
                raise first
            return {who: future.result() for who, future in futures.items()}
    finally:
        for engine in engines.values():
            engine.close()


def _clear(timing: Timing, tiers: tuple[Tier, ...], margin: float) -> bool:
    """Whether the rounds so far clearly land on one tier: each round alone reaches the same tiers, and so
    does their median (the verdict's ratio) made `margin` lower and higher alike."""
    outcomes = {tuple(timing.reaches(t, r=r) for t in tiers) for r in range(timing.rounds)}
    outcomes |= {tuple(timing.reaches(t, scale=scale) for t in tiers) for scale in (1 - margin, 1 + margin)}
    return len(outcomes) == 1


def _loss_mismatch(losses, W, seed: int, reference: dict[str, list[float]]) -> str:
    """A timed step whose loss is not the baseline step's, on any step either side took: both are
    checked against W.reference_losses, the same steps computed with plain floats by the judge (kept
    in ``reference`` across rounds, computed again only when a side took more steps)."""
    for workload in W.WORKLOADS:
        for who in (BASELINE, LEARNER):
            got = losses[who].get(workload.name, [])
            if len(reference.get(workload.name, ())) < len(got):
                reference[workload.name] = W.reference_losses(workload, seed, len(got))
            want = reference[workload.name]
            for i, (a, b) in enumerate(zip(got, want)):
                if isinstance(a, (int, float)) and math.isclose(a, b, rel_tol=LOSS_REL_TOL, abs_tol=1e-9):
                    continue
                if who == BASELINE:
                    raise BaselineError(f"the baseline's loss on {workload.name}, step {i}, is {a!r}, not {b!r} "
                                        "(a problem with the quest)")
                which = "the warm-up step" if i == 0 else f"timed step {i}"
                return (f"while being timed on {workload.name}, your train_step returned loss {a!r} on {which}, "
                        f"where the baseline's step gives {b:.12g}: the timed steps must compute the same step "
                        "as the checked ones (the step task still-correct compares)")
    return ""


def _what(exc: BaseException) -> str:
    if isinstance(exc, _OutOfTime):
        return "it did not finish in the time left for measuring"
    if isinstance(exc, RemoteError):
        return f"{exc.remote_type}: {exc}{exc.location()}"
    return str(getattr(exc, "description", exc))


def _stopped_message(timing: Timing, pending: str, exc: BaseException) -> str:
    if isinstance(exc, _OutOfTime):
        base = timing.seconds[BASELINE].get(pending)
        theirs = f" (the baseline's takes {fmt_ms(1000 * statistics.median(base))} ms)" if base else ""
        return (f"your train_step on {pending} did not finish a warm-up step and the timed steps in the CPU time "
                f"left for measuring{theirs}: it is far slower than the baseline")
    return f"timing your train_step on {pending} failed: {_what(exc)}"


def fmt_ms(ms: float) -> str:
    """812, 40.2, 3.15: three significant figures, no exponent."""
    if ms >= 100:
        return f"{ms:.0f}"
    if ms >= 10:
        return f"{ms:.1f}"
    return f"{ms:.2f}"


def fmt_ratio(ratio: float) -> str:
    return f"{ratio:.2f}x" if ratio < 10 else f"{ratio:.1f}x"


def summary(timing: Timing) -> str:
    """'baseline 812 ms/step, yours 402 ms/step: 2.02x (wide_100 2.10x, demo 1.94x)'."""
    parts = ", ".join(f"{w} {fmt_ratio(timing.ratio(w))}" for w in timing.workloads)
    return (f"baseline {fmt_ms(timing.ms(BASELINE))} ms/step, yours {fmt_ms(timing.ms(LEARNER))} ms/step: "
            f"{fmt_ratio(timing.ratio())} ({parts})")


def tier_report(timing: Timing, tier: Tier, tiers: tuple[Tier, ...], tolerance: float = 0.0) -> tuple[bool, str]:
    """(passed, message) for `tier` of the ascending `tiers`, from a complete timing.

    One tier tells the whole story, both sides' ms/step and the ratio per workload: the first tier
    not reached (with the ms/step it needs and how much faster that is), or the top tier when every
    tier is reached. The others say only the ratio they are judged on (passed) or what they need
    (failed). With a tolerance (quest verify re-measuring a claim on another machine), a tier counts
    as reached within that fraction of it.
    """
    rounds = f"over {timing.rounds} round{'s' if timing.rounds != 1 else ''}"
    story = f"{summary(timing)} {rounds}"
    reached = [t for t in tiers if timing.reaches(t, tolerance)]
    lower = [t for t in tiers if t.ratio < tier.ratio]
    ratio = timing.ratio(tier.workload)
    if tier in reached:
        band = "" if ratio >= tier.ratio else f" (within the {tolerance:.0%} band of {tier.label})"
        shown = fmt_ratio(ratio) + (f" on {tier.workload}" if tier.workload else "")
        return True, (f"{story}; every tier reached{band}" if tier == tiers[-1] else shown + band)
    need = timing.ms(BASELINE, tier.workload) / tier.ratio
    on = f" on {tier.workload}" if tier.workload else ""
    how_far = (f"{tier.label} needs <= {fmt_ms(need)} ms/step{on}: your step must get "
               f"{fmt_ratio(tier.ratio / ratio)} faster{' there' if on else ''}")
    if lower and not timing.reaches(lower[-1], tolerance):
        return False, how_far
    return False, f"{story}; {how_far}"
