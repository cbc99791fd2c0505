"""The optimize quest's hidden suite, checked against fixture workspaces whose verdicts are known.

Each fixture in tests/fixtures/engines/optimize/ is a learner workspace (engine, nn, train), or the
files that differ from another one (helpers.optimize_workspace): `plain` is micrograd's engine as a
learner rebuilds it with the starter's train_step, `fast` the engine and train_step a learner ends
with after every hint (fused nodes and a tape), each buggy one holds only a train.py: `fast` with one
shortcut that changes the numbers, which task still-correct must catch and name (the speed tasks then
time nothing). The ladder_* rungs each add one lesson to the rung before (bench/optimize_ladder.py
measures them) and land on the tier of that lesson: plain none, ladder_gc 2x, ladder_noclosures 5x,
ladder_fused 20x, fast 60x; ladder_flat (backprop by hand on floats) and ladder_gc_at_import (the
collector off for good: memory grows every step) are refused.

Timing fixtures run one after the other, never in parallel: a second busy process would disturb
the measurement.
"""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from helpers import OPTIMIZE_FIXTURES, QUESTS, assert_verdicts, optimize_workspace, run_hidden_suite_raw
from ugrad_quest.testkit import speed

TASKS = ("still-correct", "speedup-2x", "speedup-5x", "speedup-20x", "speedup-60x")
TIERS = (speed.Tier(2), speed.Tier(5), speed.Tier(20), speed.Tier(60, "demo"))
P = ("passed", "")


def F(substring: str) -> tuple[str, str]:
    return ("failed", substring)


NOT_TIMED = "not timed: speed counts once train_step computes the baseline's step"
IDLE = "the timed steps must compute the same step as the checked ones"
LEAK = "memory grew by"
TOP = F("60x on demo needs <= ")
HOW_FAR = re.compile(r"2x needs <= [\d.]+ ms/step: your step must get [\d.]+x faster")

# workspace: statuses of still-correct, speedup-2x, -5x, -20x, -60x
# ("failed", s): the task fails and its first failing message contains s.
EXPECTED: dict[str, tuple] = {
    "plain": (P, F("ms/step: "), F("5x needs <= "), F("20x needs <= "), TOP),
    "ladder_gc": (P, P, F("5x needs <= "), F("20x needs <= "), TOP),
    "ladder_noclosures": (P, P, P, F("20x needs <= "), TOP),
    "ladder_fused": (P, P, P, P, TOP),
    "fast": (P, P, P, P, P),
    "ladder_flat": (F("every p.grad is 0"), F(NOT_TIMED), F(NOT_TIMED), F(NOT_TIMED), F(NOT_TIMED)),
    "ladder_gc_at_import": (P, F(LEAK), F(LEAK), F(LEAK), F(LEAK)),
    "skips_regularization": (F("leaves out the regularisation term"), F(NOT_TIMED), F(NOT_TIMED),
                             F(NOT_TIMED), F(NOT_TIMED)),
    "no_zero_grad": (F("call model.zero_grad() before loss.backward() on every step"), F(NOT_TIMED),
                     F(NOT_TIMED), F(NOT_TIMED), F(NOT_TIMED)),
    "stale_graph": (F("that is the step on the points of an earlier call"), F(NOT_TIMED), F(NOT_TIMED),
                    F(NOT_TIMED), F(NOT_TIMED)),
    "shared_graph": (F("trained just before; a graph kept between calls belongs to one model"), F(NOT_TIMED),
                     F(NOT_TIMED), F(NOT_TIMED), F(NOT_TIMED)),
    # honest while checked, idle while timed: the judge replays every timed step
    "idle_when_timed": (P, F(IDLE), F(IDLE), F(IDLE), F(IDLE)),
}


@pytest.fixture(scope="session")
def suite_runs(tmp_path_factory):
    """{fixture: SuiteResult} for every fixture in EXPECTED, one after the other."""
    tmp = tmp_path_factory.mktemp("optimize-fixtures")
    return {name: run_hidden_suite_raw("optimize", optimize_workspace(name, tmp)) for name in EXPECTED}


def test_every_fixture_is_in_the_table():
    assert sorted(p.name for p in OPTIMIZE_FIXTURES.iterdir() if (p / "ugrad").is_dir()) == sorted(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_fixture_gets_the_expected_verdicts(name, suite_runs):
    assert_verdicts(suite_runs[name], TASKS, EXPECTED[name])


def _ratio(message: str) -> float:
    m = re.search(r"yours [\d.]+ ms/step: ([\d.]+)x \(demo [\d.]+x, wide_100 [\d.]+x\)", message)
    assert m, f"no speed report in {message!r}"
    return float(m.group(1))


def test_fast_reaches_the_top_tier_and_reports_its_speed(suite_runs):
    tasks = suite_runs["fast"].tasks
    # The highest tier reached carries the whole report; the lower ones only the ratio they are judged on.
    report = tasks["speedup-60x"].message
    assert _ratio(report) >= 20
    assert re.search(r"^baseline [\d.]+ ms/step, yours [\d.]+ ms/step: ", report), report
    assert "every tier reached" in report
    assert re.fullmatch(r"[\d.]+x", tasks["speedup-2x"].message)


def test_plain_fails_2x_and_says_how_far(suite_runs):
    message = suite_runs["plain"].tasks["speedup-2x"].message
    assert HOW_FAR.search(message), message
    assert _ratio(message) < 2


def test_fused_nodes_hear_what_the_top_tier_needs_on_demo(suite_runs):
    message = suite_runs["ladder_fused"].tasks["speedup-60x"].message
    assert re.search(r"^baseline .* over \d rounds?; 60x on demo needs <= [\d.]+ ms/step on demo: your step must "
                     r"get [\d.]+x faster there$", message), message


def test_a_leaking_step_hears_why(suite_runs):
    message = suite_runs["ladder_gc_at_import"].tasks["speedup-2x"].message
    assert "garbage collector" in message and "gc.collect()" in message, message


# -- the three copies of the plain step agree ----------------------------------------------------------------
def _train_step_source(path: Path) -> str:
    tree = ast.parse(path.read_text(encoding="utf-8"))
    func = next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "train_step")
    func.body = [s for s in func.body if not (isinstance(s, ast.Expr) and isinstance(s.value, ast.Constant))]
    return ast.dump(func)


def test_the_baseline_step_is_the_starters_step():
    starter = QUESTS / "optimize" / "starter" / "ugrad" / "train.py"
    assert _train_step_source(QUESTS / "optimize" / "hidden" / "_baseline.py") == _train_step_source(starter)
    assert (OPTIMIZE_FIXTURES / "plain" / "ugrad" / "train.py").read_bytes() == starter.read_bytes()


# -- the report's wording --------------------------------------------------------------------------------------
def _timing(baseline: dict[str, list[float]], learner: dict[str, list[float]]) -> speed.Timing:
    timing = speed.Timing(tuple(baseline))
    timing.seconds = {speed.BASELINE: baseline, speed.LEARNER: learner}
    return timing


def test_the_first_tier_not_reached_tells_the_whole_story():
    timing = _timing({"wide_100": [0.9, 0.8, 0.85], "demo": [0.8, 0.8, 0.8]},
                     {"wide_100": [0.4, 0.4, 0.4], "demo": [0.4, 0.4, 0.4]})
    verdicts = [speed.tier_report(timing, tier, TIERS) for tier in TIERS]
    assert verdicts == [
        (True, "2.06x"),
        (False, "baseline 825 ms/step, yours 400 ms/step: 2.06x (wide_100 2.12x, demo 2.00x) over 3 rounds; "
                "5x needs <= 165 ms/step: your step must get 2.43x faster"),
        (False, "20x needs <= 41.2 ms/step: your step must get 9.70x faster"),
        (False, "60x on demo needs <= 13.3 ms/step on demo: your step must get 30.0x faster there"),
    ]


def test_a_step_short_of_every_tier_hears_how_far_from_the_first():
    timing = _timing({"demo": [0.3, 0.3]}, {"demo": [0.25, 0.25]})
    assert speed.tier_report(timing, TIERS[0], TIERS) == (
        False, "baseline 300 ms/step, yours 250 ms/step: 1.20x (demo 1.20x) over 2 rounds; "
               "2x needs <= 150 ms/step: your step must get 1.67x faster")


def test_the_top_tier_reports_when_every_tier_is_reached():
    timing = _timing({"demo": [0.3]}, {"demo": [0.004]})
    assert speed.tier_report(timing, TIERS[-1], TIERS) == (
        True, "baseline 300 ms/step, yours 4.00 ms/step: 75.0x (demo 75.0x) over 1 round; every tier reached")


def test_the_top_tier_is_judged_on_demo_alone():
    # 80x on wide_100 and 40x on demo: 57x on the mean, which would clear a 20x tier and not the top one.
    timing = _timing({"wide_100": [0.8], "demo": [0.4]}, {"wide_100": [0.01], "demo": [0.01]})
    assert speed.tier_report(timing, TIERS[2], TIERS) == (True, "56.6x")
    passed, message = speed.tier_report(timing, TIERS[3], TIERS)
    assert not passed and message.endswith("60x on demo needs <= 6.67 ms/step on demo: your step must get 1.50x "
                                           "faster there"), message


def test_ratio_pairs_each_round():
    # Round 2 ran while the machine was busy: both sides slowed down, and the paired ratio shrugs it off.
    timing = _timing({"demo": [1.0, 3.0, 1.0]}, {"demo": [0.1, 0.3, 0.1]})
    assert timing.ratio("demo") == pytest.approx(10.0)
