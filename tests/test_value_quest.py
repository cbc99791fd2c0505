"""The `value` quest end to end, through the real `quest` command, as a new learner would use it."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from conftest import ENGINES, quest_command, snapshot

CORRECT = ENGINES / "iterative_slots" / "ugrad" / "engine.py"
VALUE_TASKS = ["add-mul", "more-ops", "relu", "tanh-exp", "backprop", "deep-graphs"]


def _start(tmp_path: Path) -> Path:
    ws = tmp_path / "micrograd-quest"
    result = quest_command("start", "value", "--dir", str(ws), cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    return ws


def test_new_learner_loop_start_edit_check_profile(tmp_path: Path):
    ws = _start(tmp_path)
    starter = quest_command("check", "--json", cwd=ws)
    assert starter.returncode == 1, starter.stderr
    report = json.loads(starter.stdout)
    assert [t["id"] for t in report["tasks"]] == VALUE_TASKS
    assert all(t["status"] == "failed" and "not written yet" in t["message"] for t in report["tasks"])

    shutil.copyfile(CORRECT, ws / "ugrad" / "engine.py")
    text = quest_command("check", cwd=ws / "ugrad")
    assert text.returncode == 0, text.stdout + text.stderr
    assert "Quest complete! +150 XP" in text.stdout
    # 480 for the quest, and 85 for the badges First Spark, Deep Diver, Engine Smith and Unassisted.
    for badge in ("First Spark (common, +10 XP)", "Deep Diver (rare, +25 XP)", "Engine Smith (rare, +25 XP)",
                  "Unassisted (rare, +25 XP)"):
        assert f"Badge earned: {badge}" in text.stdout
    assert "+565 XP this check" in text.stdout and "Level up! Lv. 1 → Lv. 8" in text.stdout
    assert "Your Nablet evolved into Chainling!" in text.stdout

    profile = json.loads(quest_command("profile", "--json", cwd=tmp_path).stdout)
    assert (profile["xp"], profile["level"], profile["tasks_completed"], profile["quests_completed"]) == (565, 8, 6, 1)
    card = quest_command("profile", cwd=tmp_path, env={"COLUMNS": "80"}).stdout
    assert "Lv. 8" in card and f"EXP {565 - 511} / {728 - 511}" in card and "streak 1 day" in card
    # The stub check came first, so every task passed on the learner's second check.
    log = quest_command("log", cwd=tmp_path).stdout
    assert "Backpropagation, passed on check 2. Shows that backward() visits" in " ".join(log.split())


BAD_ENGINES = {
    "syntax error": ("class Value:\n    def __init__(self, data)\n        self.data = data\n",
                     "error", "ugrad/engine.py, line 2: SyntaxError"),
    "sys.exit at import": ("import sys\nsys.exit(0)\n", "error", "sys.exit(0)"),
    "os._exit at import": ("import os\nos._exit(0)\n", "error", "os._exit()"),
    "infinite loop in backward": (None, "timeout", "stopped after 5 s of CPU time while in backward() (ugrad/engine.py, line "),
    "flood of output": ("for i in range(300000):\n    print('flood', i)\n", "failed", "not written yet"),
}


@pytest.mark.parametrize("name", list(BAD_ENGINES))
def test_bad_learner_code_is_reported_never_passed_and_files_untouched(tmp_path: Path, name: str):
    ws = _start(tmp_path)
    source, status, message = BAD_ENGINES[name]
    engine = ws / "ugrad" / "engine.py"
    if source is None:
        source = CORRECT.read_text().replace("def backward(self):", "def backward(self):\n        while True:\n            pass\n")
    elif name == "flood of output":
        source = source + engine.read_text()
    engine.write_text(source)
    before = snapshot(ws)
    result = quest_command("check", "--task", "add-mul", "--json", cwd=ws)
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    task = json.loads(result.stdout)["tasks"][0]
    assert task["status"] == status and message in task["message"], task
    assert snapshot(ws) == before

    text = quest_command("check", "--task", "add-mul", cwd=ws)
    assert text.returncode == 1 and len(text.stdout) < 20_000
    if name == "flood of output":
        assert "your code printed" in text.stdout and "more bytes not shown" in text.stdout


def test_existing_micrograd_package_is_checked_in_place(tmp_path: Path):
    pytest.importorskip("micrograd")
    ws = tmp_path / "mg"
    started = quest_command("start", "value", "--dir", str(ws), "--package", "micrograd", cwd=tmp_path)
    assert started.returncode == 0 and sorted(p.name for p in ws.iterdir()) == [".ugrad-quest.json"]
    result = quest_command("check", "--json", cwd=ws)
    assert result.returncode == 1
    tasks = {t["id"]: t for t in json.loads(result.stdout)["tasks"]}
    assert {k: v["status"] for k, v in tasks.items()} == {
        "add-mul": "passed", "more-ops": "passed", "relu": "passed", "tanh-exp": "failed",
        "backprop": "passed", "deep-graphs": "failed"}
    assert "tanh" in tasks["tanh-exp"]["message"]
    assert "recursion" in tasks["deep-graphs"]["message"].lower()
