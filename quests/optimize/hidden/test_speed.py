"""Tasks speedup-2x, -5x, -20x, -60x: the learner's train_step against the baseline's, one measurement.

The first of these tests to run measures (testkit.speed.compare: baseline and learner alternate in
fresh engine workers on identical inputs, their CPU time read by the judge, median per workload
over the rounds); the others read the same numbers. The overall ratio is the geometric mean of the
two workloads' ratios (see _workloads.py), and so are the "ms/step" figures, which are CPU time.
Nothing is timed until train_step computes the baseline's step.
"""

import os
import sys
from pathlib import Path

import pytest

from ugrad_quest.runner.protocol import ENV_SPEED_TOLERANCE
from ugrad_quest.testkit import speed
from ugrad_quest.testkit.checks import fail, rng

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))  # for the helper modules next to this file
import _same_step  # noqa: E402
import _workloads  # noqa: E402

TIERS = {
    "speedup-2x": speed.Tier(2),
    "speedup-5x": speed.Tier(5),
    "speedup-20x": speed.Tier(20),
    # Judged on demo alone: there a step is many small graphs, and reusing the graph (a tape) is what
    # wins; on wide_100, fused dot products already reach it, so the mean would not ask for the tape.
    "speedup-60x": speed.Tier(60, "demo"),
}
LADDER = tuple(TIERS.values())
MAX_BUDGET = 26.0
"""CPU seconds the measurement may take at most (it stops after the rounds that fit)."""
MIN_BUDGET = 8.0
"""Less than this is not enough for one round of a learner as slow as the baseline."""
MARGIN = 1.5
"""CPU seconds kept back from the task's budget."""
TOLERANCE = float(os.environ.get(ENV_SPEED_TOLERANCE) or 0)
"""Set by quest verify: a claimed tier re-measured on another machine counts within this fraction."""

_timing = None
_interrupted = ""


def _measure(task: str, judge) -> speed.Timing:
    global _timing, _interrupted
    if _timing is not None:
        return _timing
    if _interrupted:
        fail(_interrupted)
    remaining = judge.budgets.remaining()
    budget = MAX_BUDGET if remaining is None else min(MAX_BUDGET, remaining - MARGIN)
    if budget < MIN_BUDGET:
        fail(f"the speed is measured by the first speed task that runs, and the time budget of {task} is too "
             f"short for it: check it together with speedup-2x (quest check, or quest check --task speedup-2x "
             f"--task {task})")
    try:
        _timing = speed.compare(judge, _workloads.BASELINE_MODULES, str(_workloads.BASELINE_FILE), _workloads,
                                seed=rng().randrange(2**31), budget=budget, tiers=LADDER)
    except BaseException:
        _interrupted = "the speed measurement did not finish (see task speedup-2x)"
        raise
    return _timing


def _check_tier(task: str, nn, train_step, judge, record_property):
    tier = TIERS[task]
    problem = _same_step.verdict(nn, train_step)
    if problem:
        detail = "" if _same_step.shown else f": {problem}"
        fail(f"not timed: speed counts once train_step computes the baseline's step (task still-correct){detail}")
    timing = _measure(task, judge)
    if timing.problem:
        fail(timing.problem)
    record_property("measured", {"ratio": round(timing.ratio(tier.workload), 4), "tier": tier.ratio,
                                 "workloads": {w: round(timing.ratio(w), 4) for w in timing.workloads},
                                 **({"on": tier.workload} if tier.workload else {})})
    passed, message = speed.tier_report(timing, tier, LADDER, TOLERANCE)
    if not passed:
        fail(message)
    record_property("note", message)


@pytest.mark.task("speedup-2x")
def test_speedup_2x(nn, train_step, judge, record_property):
    _check_tier("speedup-2x", nn, train_step, judge, record_property)


@pytest.mark.task("speedup-5x")
def test_speedup_5x(nn, train_step, judge, record_property):
    _check_tier("speedup-5x", nn, train_step, judge, record_property)


@pytest.mark.task("speedup-20x")
def test_speedup_20x(nn, train_step, judge, record_property):
    _check_tier("speedup-20x", nn, train_step, judge, record_property)


@pytest.mark.task("speedup-60x")
def test_speedup_60x(nn, train_step, judge, record_property):
    _check_tier("speedup-60x", nn, train_step, judge, record_property)
