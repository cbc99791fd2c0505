"""The warm judge of `quest watch` (runner/warm.py) judges as a cold one does, starts each check from
the same clean state, and falls back to a cold judge when it dies."""

from __future__ import annotations

import os
import re
import signal
import sys
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, COURSE, write_engine
from ugrad_quest.catalog import load_quest
from ugrad_quest.runner import run_suite
from ugrad_quest.runner.run import start_suite
from ugrad_quest.runner.warm import WarmJudge, available

pytestmark = pytest.mark.skipif(not available(), reason="the warm judge forks: Linux only")

BASICS = load_quest(COURSE / "basics")
HANGS = load_quest(COURSE / "hangs")

ENGINES = {
    "correct": BASICS_ENGINE,
    "a wrong answer": BASICS_ENGINE.replace("return self.data * 2", "return self.data + 2"),
    "an exception": BASICS_ENGINE.replace("return self.data * 2", "return self.missing * 2"),
    "an exit at import": "import sys\nsys.exit(3)\n" + BASICS_ENGINE,
    "an exit in a test": BASICS_ENGINE.replace("return self.data * 2", "import os; os._exit(0)"),
    "a crash": BASICS_ENGINE.replace("return self.data * 2", "import ctypes; return ctypes.string_at(0)"),
    "a print flood": BASICS_ENGINE.replace("return self.data * 2", "print('x' * 100_000); return self.data * 2"),
}


@pytest.fixture(scope="module")
def warm():
    judge = WarmJudge()
    judge.start()
    yield judge
    judge.close()


def seen(result) -> dict:
    """What a learner is told of a suite's run."""
    return {"tasks": {t: (r.status, r.message, r.tests_passed, r.tests_total) for t, r in result.tasks.items()},
            "problems": result.problems, "notes": result.notes, "output": result.output,
            "output_bytes": result.output_bytes}


@pytest.mark.parametrize("engine", list(ENGINES))
def test_a_warm_judge_gives_a_cold_judges_verdicts(warm, tmp_path: Path, engine: str):
    write_engine(tmp_path, ENGINES[engine])
    cold = run_suite(BASICS, tmp_path)
    hot = start_suite(BASICS, tmp_path, warm=warm).wait()[0]
    assert seen(hot) == seen(cold)
    assert hot.tasks["data"].status == ("error" if engine == "an exit at import" else "passed")


def test_a_timeout_is_the_same_timeout(warm, tmp_path: Path):
    write_engine(tmp_path, BASICS_ENGINE)
    cold = run_suite(HANGS, tmp_path, tasks=["spin", "fine"])
    hot = start_suite(HANGS, tmp_path, tasks=["spin", "fine"], warm=warm).wait()[0]
    # Where in its loop the spinning code was stopped varies from run to run, warm or cold.
    line = re.compile(r"line \d+")
    assert line.sub("line N", str(seen(hot))) == line.sub("line N", str(seen(cold)))
    assert hot.tasks["spin"].status == "timeout" and hot.tasks["fine"].status == "passed"


def leaky_course(root: Path) -> Path:
    """A quest whose one hidden test reports what it finds of earlier checks in the judge, and leaves
    its own mark where the next check would see it if the judge's state carried over."""
    quest = root / "leaky"
    (quest / "hidden").mkdir(parents=True)
    (quest / "quest.yaml").write_text(
        "format_version: 1\nid: leaky\ntitle: Leaky\nsummary: s\nxp: 1\nrequires: []\n"
        "tasks:\n  - {id: fresh, title: Fresh, concept: c, xp: 1, timeout: 5}\n", encoding="utf-8")
    (quest / "hidden" / "test_fresh.py").write_text(
        "import random, sys\nimport hypothesis\nimport pytest\nfrom ugrad_quest.testkit import state\n\n"
        "@pytest.mark.task('fresh')\n"
        "def test_fresh(record_property):\n"
        "    left = [getattr(hypothesis, '_left_by_a_check', None), getattr(state, '_left_by_a_check', None)]\n"
        "    hypothesis._left_by_a_check = state._left_by_a_check = True\n"
        "    assert left == [None, None], f'an earlier check left {left}'\n"
        "    mine = [m for m in sys.modules if m.startswith('test_fresh') or m.endswith('.test_fresh')]\n"
        "    record_property('note', f'draw={random.random()!r} modules={len(mine)}')\n", encoding="utf-8")
    return quest


def test_nothing_of_one_warm_check_reaches_the_next(warm, tmp_path: Path):
    quest = load_quest(leaky_course(tmp_path / "course"))
    write_engine(tmp_path / "ws", BASICS_ENGINE)
    notes = []
    for _ in range(3):
        result = start_suite(quest, tmp_path / "ws", warm=warm).wait()[0]
        assert result.tasks["fresh"].status == "passed", result.tasks["fresh"].message
        notes.append(result.tasks["fresh"].message)
    assert all(note.endswith("modules=1") for note in notes), notes  # the hidden module imported afresh
    assert len(set(notes)) == 3, f"three checks drew the same random numbers: {notes}"


def test_a_warm_judge_that_dies_under_a_check_is_replaced_by_a_cold_one(tmp_path: Path):
    write_engine(tmp_path, BASICS_ENGINE)
    judge = WarmJudge()
    judge.start()
    try:
        server = judge._proc.pid

        def kill_the_server(outcome, done, total):
            if done == 1:
                os.kill(server, signal.SIGKILL)

        result = start_suite(BASICS, tmp_path, warm=judge).wait(kill_the_server)[0]
        assert {t: r.status for t, r in result.tasks.items()} == {"data": "passed", "double": "passed",
                                                                  "extra": "passed"}
        # The next check forks from a new server.
        again = start_suite(BASICS, tmp_path, warm=judge).wait()[0]
        assert judge._proc.pid != server
        assert {t: r.status for t, r in again.tasks.items()} == {"data": "passed", "double": "passed",
                                                                 "extra": "passed"}
    finally:
        judge.close()


def test_the_server_dies_with_its_quest_process(tmp_path: Path):
    import subprocess

    script = ("import sys, time\nfrom ugrad_quest.runner.warm import WarmJudge\n"
              "j = WarmJudge(); j.start(); print(j._proc.pid, flush=True); time.sleep(600)\n")
    quest = subprocess.Popen([sys.executable, "-c", script], stdout=subprocess.PIPE, text=True)
    try:
        server = int(quest.stdout.readline())
    finally:
        quest.kill()
        quest.wait()
    for _ in range(200):
        try:
            os.kill(server, 0)
        except ProcessLookupError:
            return
        import time

        time.sleep(0.05)
    raise AssertionError("the warm judge outlived the quest process that started it")
