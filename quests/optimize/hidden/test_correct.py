"""Task still-correct: the optimized engine still does everything it did, and its step is the baseline's.

Speed may not come from skipping work: the value and mlp quests' required tasks run again on the
learner's package (in one child judge process, started first and read last, so that it runs beside
the other tests), and train_step must give the baseline's losses, weights and gradients over several
steps (see _same_step.py).
"""

import sys
from pathlib import Path

import pytest

from ugrad_quest.catalog import load_quest
from ugrad_quest.runner.run import start_suites
from ugrad_quest.testkit import state
from ugrad_quest.testkit.checks import fail

sys.path.insert(0, str(Path(__file__).resolve().parent))  # for the helper modules next to this file
import _same_step  # noqa: E402

pytestmark = pytest.mark.task("still-correct")

QUESTS = Path(__file__).resolve().parents[2]  # the catalog this quest sits in
EARLIER = ("value", "mlp")


def test_train_step_computes_the_baselines_step(nn, train_step):
    problem = _same_step.verdict(nn, train_step)
    if problem:
        _same_step.shown = True
        fail(problem)


@pytest.fixture(scope="session", autouse=True)
def earlier_suites():
    """The value and mlp suites' judge, started before this module's first test: it runs beside the step's
    comparison and the speed measurement, and test_earlier_quests_still_pass (marked late) reads it last.
    Its workers' CPU time is their own, so running beside the speed measurement changes no ratio."""
    quests = [load_quest(QUESTS / quest_id) for quest_id in EARLIER
              # a catalog without the mlp quest: nothing of it to re-check
              if quest_id != "mlp" or (QUESTS / quest_id / "quest.yaml").is_file()]
    plans = [(quest, [t.id for t in quest.required_tasks]) for quest in quests]
    judging = start_suites(plans, Path(state.WORKSPACE), state.PACKAGE, drivers=state.DRIVERS)
    yield plans, judging
    judging.stop()


@pytest.mark.late
def test_earlier_quests_still_pass(earlier_suites):
    plans, judging = earlier_suites
    for (quest, required), result in zip(plans, judging.wait()):
        for task_id in required:
            task = result.tasks[task_id]
            if not task.passed:
                fail(f"your optimized engine now fails {quest.id}/{task_id} ({task.status}): {task.message}")
