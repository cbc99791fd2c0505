"""Queries and inserts over the event tables. No game rules here: callers decide what to award.

Each function takes the Session of one transaction (store.session()). Rows read back carry their
columns as attributes (row.quest_id) and unpack as tuples; moments and dates come back as datetime and
date, flags as bool.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from ugrad_quest.store.db import Session, day, stamp


def _insert_once(session: Session, table: str, **values) -> bool:
    """Insert unless a row with the same unique key exists; True if this call inserted it."""
    columns = ", ".join(f'"{c}"' for c in values)
    marks = ", ".join("?" * len(values))
    cursor = session.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks}) ON CONFLICT DO NOTHING",
                             tuple(values.values()))
    return cursor.rowcount == 1


def _insert(session: Session, table: str, **values) -> int:
    columns = ", ".join(f'"{c}"' for c in values)
    marks = ", ".join("?" * len(values))
    return session.execute(f"INSERT INTO {table} ({columns}) VALUES ({marks})", tuple(values.values())).lastrowid


def _marks(items: list) -> str:
    return ", ".join("?" * len(items))


def record_start(session: Session, quest_id: str, workspace: str, package: str,
                 now: dt.datetime, today: dt.date) -> bool:
    return _insert_once(session, "quest_start", quest_id=quest_id, workspace=workspace, package=package,
                        started_at=stamp(now), local_date=day(today), clock_pinned=int(session.clock_pinned))


def started_quests(session: Session) -> set[str]:
    return {r[0] for r in session.execute("SELECT quest_id FROM quest_start")}


def add_attempt(session: Session, quest_id: str, workspace: str, package: str, now: dt.datetime,
                today: dt.date, duration_ms: int, passed: bool,
                tasks: Iterable[tuple[str, str, int, str]]) -> int:
    attempt_id = _insert(session, "attempt", quest_id=quest_id, workspace=workspace, package=package,
                         started_at=stamp(now), local_date=day(today), duration_ms=duration_ms, passed=int(passed),
                         clock_pinned=int(session.clock_pinned))
    session.conn.executemany(
        "INSERT INTO attempt_task (attempt_id, task_id, status, duration_ms, message) VALUES (?, ?, ?, ?, ?)",
        [(attempt_id, task_id, status, duration, message) for task_id, status, duration, message in tasks])
    return attempt_id


def keep_snapshot(session: Session, attempt_id: int, digest: str, encoded: bytes) -> None:
    """Link the check to the source it ran on, storing that source once however many checks share it."""
    _insert_once(session, "snapshot", digest=digest, files=encoded, size=len(encoded))
    session.execute("UPDATE attempt SET snapshot = ? WHERE id = ?", (digest, attempt_id))


def skip_snapshot(session: Session, attempt_id: int, why: str) -> None:
    """Record why a check that completed a task kept no snapshot (a key of ledger.snapshot.SKIPPED)."""
    session.execute("UPDATE attempt SET snapshot_skipped = ? WHERE id = ?", (why, attempt_id))


def add_task_pass(session: Session, quest_id: str, task_id: str, attempt_id: int,
                  now: dt.datetime, today: dt.date) -> bool:
    return _insert_once(session, "task_pass", quest_id=quest_id, task_id=task_id, attempt_id=attempt_id,
                        passed_at=stamp(now), local_date=day(today))


def passed_tasks(session: Session, quest_id: str | None = None) -> set[tuple[str, str]]:
    if quest_id is None:
        rows = session.execute("SELECT quest_id, task_id FROM task_pass")
    else:
        rows = session.execute("SELECT quest_id, task_id FROM task_pass WHERE quest_id = ?", (quest_id,))
    return {(q, t) for q, t in rows}


def checks_before_pass(session: Session, quest_id: str, task_ids: Iterable[str]) -> dict[str, int]:
    """How many recorded checks included each task (the passing one included)."""
    task_ids = list(task_ids)
    rows = session.execute(
        "SELECT attempt_task.task_id, COUNT(*) FROM attempt_task JOIN attempt ON attempt.id = attempt_task.attempt_id "
        f"WHERE attempt.quest_id = ? AND attempt_task.task_id IN ({_marks(task_ids)}) GROUP BY attempt_task.task_id",
        (quest_id, *task_ids))
    return {t: n for t, n in rows}


def add_award(session: Session, kind: str, quest_id: str, task_id: str, xp: int, review: str,
              now: dt.datetime, today: dt.date, attempt_id: int | None) -> bool:
    return _insert_once(session, "xp_award", kind=kind, quest_id=quest_id, task_id=task_id, xp=xp, review=review,
                        awarded_at=stamp(now), local_date=day(today), attempt_id=attempt_id,
                        clock_pinned=int(session.clock_pinned))


def total_xp(session: Session) -> int:
    return int(session.one("SELECT COALESCE(SUM(xp), 0) FROM xp_award"))


def count_task_passes(session: Session) -> int:
    return int(session.one("SELECT COUNT(*) FROM task_pass"))


def completed_quests(session: Session) -> list[str]:
    return [r[0] for r in session.execute("SELECT quest_id FROM xp_award WHERE kind = 'quest'")]


def xp_by_day(session: Session) -> dict[dt.date, int]:
    """XP per local date that earned anything (one GROUP BY over the (local_date, xp) index)."""
    rows = session.execute("SELECT local_date, SUM(xp) FROM xp_award GROUP BY local_date")
    return {date: int(xp) for date, xp in rows}


def count_awards(session: Session, kind: str) -> int:
    return int(session.one("SELECT COUNT(*) FROM xp_award WHERE kind = ?", (kind,)))


def awards(session: Session, limit: int | None = None, kind: str | None = None) -> list:
    """Awards (rows of xp_award), newest first."""
    where, params = ("WHERE kind = ?", [kind]) if kind is not None else ("", [])
    if limit is not None:
        params.append(limit)
    return list(session.execute(f"SELECT * FROM xp_award {where} ORDER BY awarded_at DESC, id DESC"
                                + (" LIMIT ?" if limit is not None else ""), params))


def earned_badges(session: Session) -> dict[str, dt.date]:
    """Earned badge ids with the local date of each, in the order they were earned."""
    rows = session.execute("SELECT task_id, local_date FROM xp_award WHERE kind = 'badge' ORDER BY awarded_at, id")
    return {badge: date for badge, date in rows}


def first_try_tasks(session: Session) -> set[tuple[str, str]]:
    """Tasks whose first pass came in the first check that included them."""
    rows = session.execute(
        "SELECT quest_id, task_id FROM task_pass WHERE (SELECT COUNT(*) FROM attempt_task "
        "JOIN attempt ON attempt.id = attempt_task.attempt_id WHERE attempt.quest_id = task_pass.quest_id "
        "AND attempt_task.task_id = task_pass.task_id AND attempt.id < task_pass.attempt_id) = 0")
    return {(q, t) for q, t in rows}


def quests_hinted_before_completion(session: Session) -> set[str]:
    rows = session.execute(
        "SELECT DISTINCT xp_award.quest_id FROM xp_award JOIN hint_reveal ON hint_reveal.quest_id = xp_award.quest_id "
        "AND hint_reveal.revealed_at <= xp_award.awarded_at WHERE xp_award.kind = 'quest'")
    return {r[0] for r in rows}


def failures_before(session: Session, quest_id: str, task_id: str, attempt_id: int) -> list[str]:
    """Messages of the task's failed checks before `attempt_id`, oldest first."""
    rows = session.execute(
        "SELECT attempt_task.message FROM attempt_task JOIN attempt ON attempt.id = attempt_task.attempt_id "
        "WHERE attempt.quest_id = ? AND attempt_task.task_id = ? AND attempt.id < ? "
        "AND attempt_task.status != 'passed' ORDER BY attempt.id", (quest_id, task_id, attempt_id))
    return [r[0] for r in rows]


def quest_activity(session: Session, quest_id: str) -> tuple[dt.datetime | None, int, int]:
    """When the quest was started, how many checks it has had, and how many hints were revealed."""
    started = session.execute("SELECT started_at FROM quest_start WHERE quest_id = ?", (quest_id,)).fetchone()
    checks = session.one("SELECT COUNT(*) FROM attempt WHERE quest_id = ?", (quest_id,))
    hints = session.one("SELECT COUNT(*) FROM hint_reveal WHERE quest_id = ?", (quest_id,))
    return (started[0] if started else None), int(checks), int(hints)


def add_quiz_answer(session: Session, quest_id: str, question_id: str, answer: str, correct: bool,
                    now: dt.datetime, today: dt.date) -> None:
    _insert(session, "quiz_answer", quest_id=quest_id, question_id=question_id, answer=answer, correct=int(correct),
            answered_at=stamp(now), local_date=day(today), clock_pinned=int(session.clock_pinned))


def quiz_tally(session: Session, quest_id: str) -> dict[str, tuple[int, int]]:
    """Per question of the quest: (wrong answers given, right answers given)."""
    rows = session.execute("SELECT question_id, correct, COUNT(*) FROM quiz_answer WHERE quest_id = ? "
                           "GROUP BY question_id, correct", (quest_id,))
    tally: dict[str, tuple[int, int]] = {}
    for question_id, correct, n in rows:
        wrong, right = tally.get(question_id, (0, 0))
        tally[question_id] = (wrong, right + n) if correct else (wrong + n, right)
    return tally


def hints_revealed(session: Session, quest_id: str, task_id: str) -> int:
    return int(session.one("SELECT COUNT(*) FROM hint_reveal WHERE quest_id = ? AND task_id = ?", (quest_id, task_id)))


def reveal_hint(session: Session, quest_id: str, task_id: str, index: int, now: dt.datetime, today: dt.date) -> bool:
    return _insert_once(session, "hint_reveal", quest_id=quest_id, task_id=task_id, hint_index=index,
                        revealed_at=stamp(now), local_date=day(today), clock_pinned=int(session.clock_pinned))


def get_setting(session: Session, key: str) -> str | None:
    row = session.execute('SELECT value FROM setting WHERE "key" = ?', (key,)).fetchone()
    return row[0] if row else None


def set_setting(session: Session, key: str, value: str) -> None:
    session.execute('INSERT INTO setting ("key", value) VALUES (?, ?) ON CONFLICT ("key") DO UPDATE SET value = ?',
                    (key, value, value))


def delete_setting(session: Session, key: str) -> None:
    session.execute('DELETE FROM setting WHERE "key" = ?', (key,))
