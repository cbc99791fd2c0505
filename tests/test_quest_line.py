"""value -> mlp -> optimize in one workspace, through the real `quest` command, as a learner goes."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import ENGINES, ROOT, quest_command, snapshot

QUESTS = ROOT / "quests"

PLAIN = ENGINES / "optimize" / "plain" / "ugrad"


def _check(ws: Path, *args: str) -> tuple[int, dict]:
    result = quest_command("check", *args, "--json", cwd=ws)
    assert "Traceback" not in result.stderr, result.stderr
    return result.returncode, json.loads(result.stdout)


def test_quest_line_in_one_workspace(tmp_path: Path):
    ws = tmp_path / "ws"
    assert quest_command("start", "value", "--dir", str(ws), cwd=tmp_path).returncode == 0
    locked = quest_command("start", "mlp", cwd=ws)
    assert locked.returncode == 2 and "Quest 'mlp' is locked: complete 'value' first" in locked.stderr

    shutil.copyfile(PLAIN / "engine.py", ws / "ugrad" / "engine.py")
    code, value = _check(ws)
    assert code == 0 and value["quest"] == "value"
    # All passed on the first check, with no hints: 480 XP for the quest, 110 for its badges.
    assert value["badges_awarded"] == ["first-pass", "first-try", "no-hints", "value-deep-graphs", "value-complete"]
    assert value["xp_awarded"] == 480 + 10 + 25 + 25 + 25 + 25
    assert value["complete"] and value["next_quest"] == "mlp"
    shown = quest_command("check", cwd=ws)  # passing again: no XP, and no completion said twice
    assert shown.returncode == 0 and "Quest complete!" not in shown.stdout

    engine_before = snapshot(ws / "ugrad")
    started = quest_command("start", "mlp", cwd=ws / "ugrad")
    assert started.returncode == 0, started.stderr
    assert "created  ugrad/nn.py" in started.stdout
    assert {k: v for k, v in snapshot(ws / "ugrad").items() if k != "nn.py"} == engine_before
    code, mlp = _check(ws)
    assert code == 1 and mlp["quest"] == "mlp"  # the stubbed nn.py
    shutil.copyfile(PLAIN / "nn.py", ws / "ugrad" / "nn.py")
    code, mlp = _check(ws)
    assert code == 0 and mlp["xp_awarded"] == 480 + 25, mlp  # and Net Weaver (rare)
    assert mlp["badges_awarded"] == ["mlp-complete"]

    assert quest_command("start", "optimize", cwd=ws).returncode == 0
    assert (ws / "ugrad" / "train.py").read_text() == (PLAIN / "train.py").read_text()  # the plain starter step
    _profiling_as_the_first_hint_says(ws)
    code, optimize = _check(ws)
    tasks = {t["id"]: t for t in optimize["tasks"]}
    assert code == 1
    assert tasks["still-correct"]["status"] == "passed"
    assert tasks["speedup-2x"]["status"] == "failed"
    assert "2x needs <= " in tasks["speedup-2x"]["message"] and "ms/step" in tasks["speedup-2x"]["message"]

    code, again = _check(ws, "value")  # an earlier quest can still be checked by name
    assert code == 0 and again["xp_awarded"] == 0
    listing = {q["id"]: q["status"] for q in json.loads(quest_command("list", "--json", cwd=ws).stdout)}
    assert listing == {"value": "complete", "mlp": "complete", "optimize": "in progress", "tensor": "available"}


def test_micrograd_checked_as_an_existing_implementation_passes_mlp(tmp_path: Path):
    ws = tmp_path / "mg"
    locked = quest_command("start", "mlp", "--dir", str(ws), "--package", "micrograd", cwd=tmp_path)
    assert locked.returncode == 2 and "--force" in locked.stderr
    started = quest_command("start", "mlp", "--dir", str(ws), "--package", "micrograd", "--force", cwd=tmp_path)
    assert started.returncode == 0, started.stderr
    assert sorted(p.name for p in ws.iterdir()) == [".ugrad-quest.json"]  # nothing scaffolded over micrograd
    code, mlp = _check(ws)
    assert code == 0, mlp
    assert {t["id"]: t["status"] for t in mlp["tasks"]} == {
        "neuron": "passed", "layer": "passed", "mlp": "passed", "zero-grad": "passed", "train": "passed"}


def _profiling_as_the_first_hint_says(ws: Path) -> None:
    """speedup-2x's first hint gives commands that finish in seconds on the plain engine."""
    import resource
    import subprocess
    import sys

    from ugrad_quest.catalog import load_quest

    hint = load_quest(QUESTS / "optimize").task("speedup-2x").hints[0]
    commands = ["python -m ugrad.profile_step", "python -m cProfile -s tottime -m ugrad.profile_step"]
    assert all(c in hint for c in commands), hint
    for command in commands:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        run = subprocess.run([sys.executable, *command.split()[1:]], cwd=ws, capture_output=True, text=True,
                             timeout=600)
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert run.returncode == 0, run.stderr
        assert "ms of CPU time per step (median)" in run.stdout
        cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
        assert cpu < 20, f"{command} took {cpu:.1f} s of CPU time"  # seconds, not the 100 s a step it once took
