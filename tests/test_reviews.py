"""The log's reviews through `quest check`: a speed task's review gives what its passing check measured,
and the bugs caught on the way come from the failure messages the store kept, named once by kind.

A course made here: task `chain` fails with the recursion message (its numbers vary from check to
check, as the real suite's do), task `fast` is a speed task whose hidden test records a measurement
the way the optimize quest's does (the learner's code answers the ratio here: the judge's timing is
tested with the optimize quest itself).
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

QUEST = """\
format_version: 1
id: tiny
title: Tiny
summary: A fixture quest for the log's reviews.
xp: 10
requires: []
tasks:
  - id: chain
    title: Long chains
    concept: backward() uses an explicit stack.
    xp: 10
    timeout: 5
  - id: fast
    title: Five times as fast
    concept: The graph is built once and reused.
    xp: 10
    timeout: 5
"""

HIDDEN = '''\
import pytest


@pytest.mark.task("chain")
def test_chain(Value):
    depth = Value(0).depth()
    assert depth is None, (f"backward() hit Python's recursion limit on a chain of {depth} nodes: build the "
                           "topological order with an explicit stack (a loop), not recursion")


@pytest.mark.task("fast")
def test_fast(Value, record_property):
    ratio = Value(0).ratio()
    record_property("measured", {"ratio": ratio, "tier": 5, "workloads": {"demo": ratio}})
    assert ratio >= 5, f"5x needs <= 10 ms/step: your step must get {5 / ratio:.2f}x faster"
'''

ENGINE = '''\
class Value:
    def __init__(self, data):
        self.data = data

    def depth(self):
        return {depth}

    def ratio(self):
        return {ratio}
'''


@pytest.fixture
def tiny(tmp_path, monkeypatch) -> Path:
    course = tmp_path / "course"
    (course / "tiny" / "hidden").mkdir(parents=True)
    (course / "tiny" / "starter" / "ugrad").mkdir(parents=True)
    (course / "tiny" / "quest.yaml").write_text(QUEST)
    (course / "tiny" / "hidden" / "test_tiny.py").write_text(HIDDEN)
    (course / "tiny" / "starter" / "ugrad" / "__init__.py").write_text("")
    (course / "tiny" / "starter" / "ugrad" / "engine.py").write_text(ENGINE.format(depth=None, ratio=1.0))
    monkeypatch.setenv("QUEST_QUESTS_DIR", str(course))
    return tmp_path / "ws"


def test_reviews_give_the_measurement_and_each_bug_once(tiny, cli):
    assert cli("start", "tiny", "--dir", str(tiny)).exit_code == 0
    engine = tiny / "ugrad" / "engine.py"
    for depth, ratio in ((1000, 3.1), (2000, 4.2), (5000, 4.9)):
        engine.write_text(ENGINE.format(depth=depth, ratio=ratio))
        check = json.loads(cli("check", "--json", cwd=tiny).stdout)
        assert [t["status"] for t in check["tasks"]] == ["failed", "failed"]
    engine.write_text(ENGINE.format(depth=None, ratio=7.25))
    check = json.loads(cli("check", "--json", cwd=tiny).stdout)
    assert [t["status"] for t in check["tasks"]] == ["passed", "passed"]

    reviews = {e["subject"]: e["review"] for e in json.loads(cli("log", "--json").stdout) if e["kind"] == "task"}
    # Three messages with other numbers: one bug.
    assert reviews["chain"] == ("Long chains, passed on check 4. Shows that backward() uses an explicit stack. "
                                "Caught and fixed on the way: recursion too deep on a long chain.")
    # What was measured, not the concept's technique; tiers not reached yet are no bugs.
    assert reviews["fast"] == ("Five times as fast, passed on check 4. Your train_step measured 7.25x the baseline's "
                               "speed (CPU time per step; demo 7.25x), where the tier needs 5x.")
