"""Two `quest check` runs at the same moment never award the same XP twice."""

from __future__ import annotations

import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

from conftest import BASICS_ENGINE, COURSE

# Both checks are in flight together before either records anything.
GOOD = "import time\ntime.sleep(0.5)\n" + BASICS_ENGINE


def test_concurrent_checks_award_once(tmp_path: Path, quest_home: Path):
    env = {**os.environ, "QUEST_QUESTS_DIR": str(COURSE), "QUEST_HOME": str(quest_home)}
    quest = [sys.executable, "-m", "ugrad_quest"]
    subprocess.run([*quest, "start", "basics", "--dir", str(tmp_path)], env=env, check=True, capture_output=True)
    (tmp_path / "ugrad" / "engine.py").write_text(GOOD)
    procs = [subprocess.Popen([*quest, "check", "--json"], cwd=tmp_path, env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for _ in range(4)]
    outputs = [p.communicate(timeout=120) for p in procs]
    results = [json.loads(out) for out, _ in outputs]
    assert all(p.returncode == 0 for p in procs), [err for _, err in outputs]
    # 3 tasks and the quest, then the badges First Spark (10), Clean Shot (25) and Unassisted (25).
    assert sorted(r["xp_awarded"] for r in results) == [0, 0, 0, 10 + 5 + 7 + 20 + 10 + 25 + 25]
    assert sorted(b for r in results for b in r["badges_awarded"]) == ["first-pass", "first-try", "no-hints"]
    db = sqlite3.connect(quest_home / "progress.sqlite3")
    assert db.execute("SELECT SUM(xp), COUNT(*) FROM xp_award").fetchone() == (102, 7)
    assert db.execute("SELECT COUNT(*) FROM attempt").fetchone() == (4,)
    assert db.execute("SELECT COUNT(*) FROM attempt_task").fetchone() == (12,)
