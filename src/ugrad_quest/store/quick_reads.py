"""Read-only queries in plain sqlite3, for commands that must start fast (`quest list`).

Only tables created by m001_initial are read here, so any migrated database works.
"""

from __future__ import annotations

import sqlite3
import stat
from dataclasses import dataclass, field
from pathlib import Path

from ugrad_quest.store import compat
from ugrad_quest.store.errors import StoreError, damaged, explain, is_a_folder, unreadable


@dataclass
class QuickProgress:
    started: set[str] = field(default_factory=set)
    passed: dict[str, set[str]] = field(default_factory=dict)
    completed: set[str] = field(default_factory=set)


def check_database_file(path: Path) -> bool:
    """Whether a database file exists at path; StoreError, before anything tries to write to it, for
    one that cannot be a SQLite database we can open (stdlib only, instant)."""
    try:
        info = path.stat()
    except (FileNotFoundError, NotADirectoryError):
        return False  # a new one is made on first write (a QUEST_HOME that is a file is Store.open's to say)
    except PermissionError:
        raise unreadable(path) from None
    except OSError as exc:
        raise StoreError(f"The progress database {path} could not be used ({exc.strerror}).") from None
    if stat.S_ISDIR(info.st_mode):
        raise is_a_folder(path)
    if not info.st_size:
        return True
    try:
        with open(path, "rb") as fh:
            header = fh.read(16)
    except PermissionError:
        raise unreadable(path) from None
    except OSError as exc:
        raise StoreError(f"The progress database {path} could not be read ({exc.strerror}).") from None
    if header != b"SQLite format 3\x00":
        raise damaged(path)
    return True


def read_progress(path: Path) -> QuickProgress:
    progress = QuickProgress()
    if not check_database_file(path):
        return progress
    try:
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=10)
        try:
            compat.refuse_unknown(conn, path)
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


def recent_workspaces(path: Path) -> list[Path]:
    """Workspaces the learner started or checked quests in, most recent first, that still exist.

    Only advice for an error message: a missing or damaged database gives none, never an error.
    """
    try:
        if not path.is_file():
            return []
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=1)
        try:
            rows = conn.execute(
                "SELECT workspace, MAX(started_at) FROM (SELECT workspace, started_at FROM quest_start "
                "UNION ALL SELECT workspace, started_at FROM attempt) GROUP BY workspace ORDER BY 2 DESC").fetchall()
        finally:
            conn.close()
    except (sqlite3.Error, OSError):
        return []
    return [Path(w) for w, _ in rows if isinstance(w, str) and _is_workspace(Path(w))]


def _is_workspace(folder: Path) -> bool:
    from ugrad_quest.workspace import MARKER

    try:
        return (folder / MARKER).is_file()
    except OSError:
        return False
