"""The author's linter, on the fixture course and on every real quest with its reference engines."""

from __future__ import annotations

import shutil
from pathlib import Path

from conftest import COURSE, ENGINES, ROOT, write_engine
from ugrad_quest.services.context import Context
from ugrad_quest.services.lint import lint_quest

GOOD = "class Value:\n    def __init__(self, d):\n        self.data = d\n    def double(self):\n        return 2 * self.data\n"


def _ctx(quests: Path, tmp: Path) -> Context:
    return Context(quests_dir=quests, db_path=tmp / "unused.sqlite3", cwd=tmp)


def test_sound_fixture_quest(tmp_path: Path):
    write_engine(tmp_path / "ref", GOOD)
    report = lint_quest(_ctx(COURSE, tmp_path), "basics", reference=tmp_path / "ref")
    assert report.ok, report.problems
    assert report.starter_statuses == {"data": "failed", "double": "failed", "extra": "failed"}
    assert report.reference_statuses["double"] == "passed"


def test_linter_catches_a_solved_starter_a_failing_reference_and_stray_tests(tmp_path: Path):
    course = tmp_path / "course"
    shutil.copytree(COURSE / "basics", course / "basics")
    (course / "basics" / "starter" / "ugrad" / "engine.py").write_text(GOOD)
    (course / "basics" / "hidden" / "test_stray.py").write_text(
        "import pytest\n\n@pytest.mark.task('typo')\ndef test_stray(Value):\n    pass\n")
    write_engine(tmp_path / "ref", GOOD.replace("2 * self.data", "0"))
    report = lint_quest(_ctx(course, tmp_path), "basics", reference=tmp_path / "ref")
    text = "\n".join(report.problems)
    assert "names no task of quest 'basics' (task='typo')" in text
    assert "the starter already passes the required task 'data'" in text
    assert "the reference solution fails the required task 'double'" in text


# The reference solution each real quest is linted against: a whole learner workspace.
REFERENCES = {
    "value": ENGINES / "iterative_slots",
    "mlp": ENGINES / "mlp" / "nn_micrograd_like",
    "optimize": ENGINES / "optimize" / "fast",
    "tensor": ENGINES / "tensor" / "tape",
}


def test_every_real_quest_is_sound_with_its_reference_engine(tmp_path: Path):
    ctx = _ctx(ROOT / "quests", tmp_path)
    assert {q.id for q in ctx.catalog.quests} <= set(REFERENCES), "add the new quest's reference here"
    for quest in ctx.catalog.quests:
        report = lint_quest(ctx, quest.id, reference=REFERENCES[quest.id])
        assert report.ok, f"{quest.id}: {report.problems}"
        assert all(status != "passed" for task, status in report.starter_statuses.items()
                   if quest.task(task).required)
