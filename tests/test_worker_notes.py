"""What a machine cannot give the engine worker is said once, in one line, by check and by verify.

This machine offers everything (Landlock, seccomp, the CPU clock), so a real check has no note; the
judge's side of a poorer machine is driven directly: the hello it would get from the worker there.
"""

from __future__ import annotations

import io
import json

from rich.console import Console

from conftest import BASICS_ENGINE, COURSE, write_engine
from ugrad_quest.catalog import load_quest
from ugrad_quest.runner import protocol as P
from ugrad_quest.runner import run_suite
from ugrad_quest.runner.plugin import QuestPlugin
from ugrad_quest.runner.run import _read_events, _summarize


def test_a_fully_confined_check_says_nothing_about_confinement(tmp_path):
    write_engine(tmp_path, BASICS_ENGINE)
    result = run_suite(load_quest(COURSE / "basics"), tmp_path)
    assert result.notes == []


def test_missing_confinement_and_cpu_clock_become_one_note_each(tmp_path, monkeypatch):
    results = tmp_path / "results.jsonl"
    monkeypatch.setenv(P.ENV_RESULTS, str(results))
    plugin = QuestPlugin()
    hello = {"confinement": {"missing": ["Landlock is not available on this kernel (needs Linux 5.13+)"]},
             "cpu_measured": False}
    plugin._note_confinement(hello)
    plugin._note_confinement(hello)  # a second worker of the same check: still said once
    events, _ = _read_events(results, 0)
    quest = load_quest(COURSE / "basics")
    suite = _summarize(quest, quest.tasks, events + [{"event": P.EVENT_COLLECTED, "tests": []}], False, 0, 60)
    assert suite.notes == [
        "your code ran without full confinement on this machine (Landlock is not available on this kernel "
        "(needs Linux 5.13+)): it could touch files outside its folder",
        "this system does not let the judge read the engine's CPU time, so budgets and speed tiers count "
        "wall-clock time here (a busy machine can slow them)",
    ]


def test_check_shows_its_notes_in_text_and_json():
    from ugrad_quest.render import json_view, views
    from ugrad_quest.services.check import CheckResult

    result = CheckResult(quest_id="basics", title="Basics", passed=False, tasks=[], xp_awarded=0, quest_xp_awarded=0,
                         badges_awarded=[], duration=1.0, level_before=1, level_after=1, next_task="data",
                         notes=["your code ran without full confinement on this machine (x): it could touch files"])
    out = io.StringIO()
    Console(file=out, width=60, color_system=None).print(views.check(result))
    assert "Note: your code ran without full confinement on this machine (x): it could" in " ".join(out.getvalue().split())
    assert json.loads(json_view.dumps(json_view.check(result)))["notes"] == result.notes
