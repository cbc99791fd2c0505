"""Timing the learner's code against a baseline: child processes that alternate round by round.

A hidden suite supplies a script that times ONE side on every workload and writes JSON
(see quests/optimize/hidden/_workloads.py):

    python SCRIPT SIDE PACKAGE SEED TARGET_SECONDS OUT_JSON
    -> {workload: {"warmup": s, "per_step": s, "steps": n}}

``compare`` runs the baseline and the learner in turn, each in a fresh process (so neither inherits
the other's heap or garbage collector state), on identical inputs (one seed), for several rounds,
and keeps the per-step seconds of each side per round. A workload's ratio is the median over rounds
of baseline / learner within the round (the two processes of a round run back to back, so a slow
spell of a noisy machine touches both); the overall ratio is the geometric mean of the workloads'
ratios, so each workload counts the same however long its steps are. The ms/step shown for a side
are likewise the geometric mean over workloads of its medians.

The measurement keeps its own time budget: it stops after the rounds that fit, early when the
learner is clearly slower than the first tier, and at once when a learner's step overruns the
budget (the child is killed). Everything a learner reads is phrased in ``Timing.problem``.
"""

from __future__ import annotations

import json
import math
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ugrad_quest.testkit import state

BASELINE, LEARNER = "baseline", "learner"
STDERR_KEEP = 6000


class BaselineError(RuntimeError):
    """The baseline side failed: a problem with the quest, never the learner's."""


@dataclass
class Timing:
    """Per-step seconds of each side on each workload, one number per round."""

    workloads: tuple[str, ...]
    seconds: dict[str, dict[str, list[float]]] = field(default_factory=lambda: {BASELINE: {}, LEARNER: {}})
    problem: str = ""
    """Why the learner's side could not be (fully) timed, in learner terms; empty when it was."""
    stopped_early: str = ""
    """Why fewer rounds than planned were run (for authors; not an error)."""

    @property
    def rounds(self) -> int:
        return min((len(self.seconds[LEARNER].get(w, [])) for w in self.workloads), default=0)

    def ms(self, side: str, workload: str | None = None) -> float:
        """Median milliseconds per step; without a workload, the geometric mean over workloads."""
        if workload is None:
            return math.exp(statistics.fmean(math.log(self.ms(side, w)) for w in self.workloads))
        return 1000 * statistics.median(self.seconds[side][workload])

    def ratio(self, workload: str | None = None) -> float:
        """How many times faster than the baseline the learner's step is: the median over rounds of the
        round's ratio (each round's two processes ran back to back, so a slow spell of the machine
        touches both); without a workload, the geometric mean over workloads."""
        if workload is None:
            return math.exp(statistics.fmean(math.log(self.ratio(w)) for w in self.workloads))
        pairs = zip(self.seconds[BASELINE][workload], self.seconds[LEARNER][workload])
        return statistics.median(b / l for b, l in pairs)

    def drop_round(self, r: int) -> None:
        """Forget whatever round r (0-based) measured: an unfinished round would favour one side."""
        for side in self.seconds.values():
            for samples in side.values():
                del samples[r:]


def child_env() -> dict[str, str]:
    """The environment of a child that imports the learner's package and ugrad_quest, like the runner's."""
    import ugrad_quest

    env = dict(os.environ)
    source_root = str(Path(ugrad_quest.__file__).resolve().parent.parent)
    paths = [state.WORKSPACE, source_root, os.environ.get("PYTHONPATH", "")]
    env["PYTHONPATH"] = os.pathsep.join(p for p in paths if p)
    return env


def _learner_error(stderr: str) -> str:
    """'ValueError: ... (ugrad/train.py, line 12)' from the end of a child's traceback."""
    lines = [line for line in stderr.strip().splitlines() if line.strip()]
    last = lines[-1].strip() if lines else "it exited without a result"
    where = ""
    if state.WORKSPACE:
        root = str(Path(state.WORKSPACE).resolve()) + os.sep
        for m in re.finditer(r'File "([^"]+)", line (\d+)', stderr):
            path = str(Path(m.group(1)).resolve())
            if path.startswith(root):
                where = f" ({path[len(root):]}, line {m.group(2)})"
    return f"{last}{where}"


def _run_side(script: Path, side: str, workloads: tuple[str, ...], seed: int, target: float, timeout: float,
              tmp: Path) -> tuple[dict[str, float], str]:
    """({workload: seconds per step}, '' or what stopped the child early: 'timeout' or its error)."""
    out = tmp / f"{side}.json"
    out.unlink(missing_ok=True)
    cmd = [sys.executable, str(script), side, state.PACKAGE, str(seed), repr(target), str(out)]
    try:
        proc = subprocess.run(cmd, env=child_env(), cwd=tmp, stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, timeout=max(timeout, 0.1))
        stopped = "" if proc.returncode == 0 else _learner_error(proc.stderr[-STDERR_KEEP:].decode("utf-8", "replace"))
    except subprocess.TimeoutExpired:
        stopped = "timeout"
    try:
        raw = json.loads(out.read_text(encoding="utf-8"))
        results = {w: float(raw[w]["per_step"]) for w in workloads if w in raw}
    except (OSError, ValueError, TypeError, KeyError):
        results = {}
    if not stopped and len(results) < len(workloads):
        stopped = "it exited without writing its timings: does your code call sys.exit() or os._exit()?"
    return results, stopped


def compare(script: Path, workloads: tuple[str, ...], *, seed: int, budget: float, target: float = 0.5,
            rounds: int = 9, min_rounds: int = 2, give_up_below: float = 1.5) -> Timing:
    """Time baseline and learner in alternating child processes within `budget` seconds.

    Stops before `rounds` when the next round would not fit in the budget (after one round at least),
    or when the learner is clearly short of the first tier: after one round if it is slower than the
    baseline, after `min_rounds` if its ratio so far is below `give_up_below`. A learner's child that
    runs out of the budget is killed; after a complete round that only ends the measurement.
    """
    deadline = time.perf_counter() + budget
    timing = Timing(tuple(workloads))
    longest_round = 0.0
    with tempfile.TemporaryDirectory(prefix="ugrad-speed-") as tmp:
        for r in range(rounds):
            if r and time.perf_counter() + 1.2 * longest_round > deadline:
                timing.stopped_early = f"the budget of {budget:.0f} s fits {r} rounds"
                break
            started = time.perf_counter()
            # Alternate who goes first, so a drift in the machine's speed does not favour one side.
            for side in ((BASELINE, LEARNER) if r % 2 == 0 else (LEARNER, BASELINE)):
                results, stopped = _run_side(Path(script), side, timing.workloads, seed, target,
                                             deadline - time.perf_counter(), Path(tmp))
                if stopped == "timeout" and r > 0:
                    timing.stopped_early = f"round {r + 1} did not fit in the budget of {budget:.0f} s"
                    timing.drop_round(r)
                    return timing
                if stopped and side == BASELINE:
                    raise BaselineError(f"the baseline could not be timed: {stopped} (a problem with the quest)")
                for w, seconds in results.items():
                    timing.seconds[side].setdefault(w, []).append(seconds)
                if stopped:
                    timing.problem = _stopped_message(timing, results, stopped)
                    return timing
            longest_round = max(longest_round, time.perf_counter() - started)
            if timing.ratio() < 1.0 or (r + 1 >= min_rounds and timing.ratio() < give_up_below):
                timing.stopped_early = f"clearly short of the first tier after {r + 1} rounds"
                break
    return timing


def _stopped_message(timing: Timing, results: dict, stopped: str) -> str:
    pending = next((w for w in timing.workloads if w not in results), timing.workloads[-1])
    if stopped == "timeout":
        base = timing.seconds[BASELINE].get(pending)
        theirs = f" (the baseline's takes {fmt_ms(1000 * statistics.median(base))} ms)" if base else ""
        return (f"your train_step on {pending} did not finish a warm-up step and one timed step in the "
                f"time left for measuring{theirs}: it is far slower than the baseline")
    return f"timing your train_step on {pending} failed: {stopped}"


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


def tier_report(timing: Timing, tier: float, tiers: tuple[float, ...]) -> tuple[bool, str]:
    """(passed, message) for the tier `tier` of the ascending `tiers`, from a complete timing.

    One tier tells the whole story, both sides' ms/step and the ratio per workload: the first tier
    not reached (with the ms/step it needs and how much faster that is), or the top tier when every
    tier is reached. The others say only the ratio (passed) or what they need (failed).
    """
    ratio = timing.ratio()
    rounds = f"over {timing.rounds} round{'s' if timing.rounds != 1 else ''}"
    story = f"{summary(timing)} {rounds}"
    lower = [t for t in tiers if t < tier]
    if ratio >= tier:
        return True, (f"{story}; every tier reached" if tier == max(tiers) else fmt_ratio(ratio))
    need = timing.ms(BASELINE) / tier
    how_far = f"{tier:g}x needs <= {fmt_ms(need)} ms/step: your step must get {fmt_ratio(tier / ratio)} faster"
    if lower and ratio < lower[-1]:
        return False, how_far
    return False, f"{story}; {how_far}"
