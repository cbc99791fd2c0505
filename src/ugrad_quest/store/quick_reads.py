"""Read-only queries in plain sqlite3, for commands that must start fast (`quest list`).

Only tables created by m001_initial are read here, so any migrated database works.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from ugrad_quest.store.errors import explain


@dataclass
class QuickProgress:
    started: set[str] = field(default_factory=set)
    passed: dict[str, set[str]] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)


def check_database_file(path: Path) -> None:
    """Refuse a file that is not SQLite before anything tries to write to it (stdlib only, instant)."""
    try:
        if not path.exists() or not path.stat().st_size:
            return
        with open(path, "rb") as fh:
            header = fh.read(16)
    except OSError as exc:
        raise explain(sqlite3.OperationalError(f"unable to open: {exc.strerror}"), path) from None
    if header != b"SQLite format 3\x00":
        raise explain(sqlite3.DatabaseError("file is not a database"), path)


def read_progress(path: Path) -> QuickProgress:
    progress = QuickProgress()
    if not path.exists():
        return progress
    check_database_file(path)
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            tables = {r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}
            if "quest_start" not in tables:
                return progress  # created but never migrated: nothing recorded yet
            progress.started = {r[0] for r in conn.execute("SELECT quest_id FROM quest_start")}
            for quest_id, task_id in conn.execute("SELECT quest_id, task_id FROM task_pass"):
                progress.passed.setdefault(quest_id, set()).add(task_id)
            progress.completed = {r[0] for r in conn.execute("SELECT quest_id FROM xp_award WHERE kind = 'quest'")}
        finally:
            conn.close()
    except sqlite3.Error as exc:
        raise explain(exc, path) from None
    return progress
