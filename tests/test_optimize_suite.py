"""The optimize quest's hidden suite, checked against fixture workspaces whose verdicts are known.

Each fixture in tests/fixtures/engines/optimize/ is a learner workspace (engine, nn, train): `plain`
is micrograd's engine as a learner rebuilds it with the starter's train_step, `fast` is the engine and
train_step a learner ends with after every hint, and each buggy one holds only a train.py: `fast` with
one shortcut that changes the numbers, which task still-correct must catch and name (the speed tasks
then time nothing).

Timing fixtures run one after the other, never in parallel: a second busy process would disturb
the measurement. Only `plain` and `fast` are actually timed; the buggy ones stop at the gate.
"""

from __future__ import annotations

import ast
import re
import shutil
from pathlib import Path

import pytest

from helpers import ENGINES, QUESTS, assert_verdicts, run_hidden_suite_raw
from ugrad_quest.testkit import speed

OPTIMIZE_FIXTURES = ENGINES / "optimize"
TASKS = ("still-correct", "speedup-2x", "speedup-5x", "speedup-10x", "speedup-25x")
TIERS = (2, 5, 10, 25)
P = ("passed", "")


def F(substring: str) -> tuple[str, str]:
    return ("failed", substring)


NOT_TIMED = "not timed: speed counts once train_step computes the baseline's step"
IDLE = "the timed steps must compute the same step as the checked ones"
HOW_FAR = re.compile(r"2x needs <= [\d.]+ ms/step: your step must get [\d.]+x faster")

# workspace: statuses of still-correct, speedup-2x, -5x, -10x, -25x
# ("failed", s): the task fails and its first failing message contains s.
EXPECTED: dict[str, tuple] = {
    "plain": (P, F("ms/step: "), F("5x needs <= "), F("10x needs <= "), F("25x needs <= ")),
    "fast": (P, P, P, P, P),
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


def workspace_of(name: str, tmp: Path) -> Path:
    """The fixture as a whole workspace: as it is, or, for a buggy one, `fast` with its train.py over it."""
    fixture = OPTIMIZE_FIXTURES / name
    if (fixture / "ugrad" / "engine.py").is_file():
        return fixture
    shutil.copytree(OPTIMIZE_FIXTURES / "fast", tmp / name)
    shutil.copytree(fixture, tmp / name, dirs_exist_ok=True)
    return tmp / name


@pytest.fixture(scope="session")
def suite_runs(tmp_path_factory):
    """{fixture: SuiteResult} for every fixture in EXPECTED, one after the other."""
    tmp = tmp_path_factory.mktemp("optimize-fixtures")
    return {name: run_hidden_suite_raw("optimize", workspace_of(name, tmp)) for name in EXPECTED}


def test_every_fixture_is_in_the_table():
    assert sorted(p.name for p in OPTIMIZE_FIXTURES.iterdir() if (p / "ugrad" / "train.py").is_file()) == \
        sorted(EXPECTED)


@pytest.mark.parametrize("name", list(EXPECTED))
def test_fixture_gets_the_expected_verdicts(name, suite_runs):
    assert_verdicts(suite_runs[name], TASKS, EXPECTED[name])


def _ratio(message: str) -> float:
    m = re.search(r"yours [\d.]+ ms/step: ([\d.]+)x \(demo [\d.]+x, wide_100 [\d.]+x\)", message)
    assert m, f"no speed report in {message!r}"
    return float(m.group(1))


def test_fast_reaches_the_10x_tier_and_reports_its_speed(suite_runs):
    tasks = suite_runs["fast"].tasks
    assert tasks["speedup-10x"].passed
    # The highest tier reached carries the whole report; the lower ones only the ratio.
    report = tasks["speedup-25x"].message
    assert _ratio(report) >= 10
    assert re.search(r"^baseline [\d.]+ ms/step, yours [\d.]+ ms/step: ", report), report
    assert "every tier reached" in report
    assert re.fullmatch(r"[\d.]+x", tasks["speedup-2x"].message)


def test_plain_fails_2x_and_says_how_far(suite_runs):
    message = suite_runs["plain"].tasks["speedup-2x"].message
    assert HOW_FAR.search(message), message
    assert _ratio(message) < 2


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
        (False, "10x needs <= 82.5 ms/step: your step must get 4.85x faster"),
        (False, "25x needs <= 33.0 ms/step: your step must get 12.1x faster"),
    ]


def test_a_step_short_of_every_tier_hears_how_far_from_the_first():
    timing = _timing({"demo": [0.3, 0.3]}, {"demo": [0.25, 0.25]})
    assert speed.tier_report(timing, 2, TIERS) == (
        False, "baseline 300 ms/step, yours 250 ms/step: 1.20x (demo 1.20x) over 2 rounds; "
               "2x needs <= 150 ms/step: your step must get 1.67x faster")


def test_the_top_tier_reports_when_every_tier_is_reached():
    timing = _timing({"demo": [0.3]}, {"demo": [0.01]})
    assert speed.tier_report(timing, 25, TIERS) == (
        True, "baseline 300 ms/step, yours 10.0 ms/step: 30.0x (demo 30.0x) over 1 round; every tier reached")


def test_ratio_pairs_each_round():
    # Round 2 ran while the machine was busy: both sides slowed down, and the paired ratio shrugs it off.
    timing = _timing({"demo": [1.0, 3.0, 1.0]}, {"demo": [0.1, 0.3, 0.1]})
    assert timing.ratio("demo") == pytest.approx(10.0)
