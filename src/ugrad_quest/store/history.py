"""The whole event log, read for `quest export`: every row of every event table, oldest first.

Rows come back as records read by column name (row.started_at), with moments, dates and flags typed as
store/db.py reads them; nothing here is written back.
"""

from __future__ import annotations

from collections.abc import Sequence

from ugrad_quest.store.db import Session


def _rows(session: Session, table: str) -> Sequence:
    return session.execute(f"SELECT * FROM {table} ORDER BY id").fetchall()


def starts(session: Session) -> Sequence:
    return _rows(session, "quest_start")


def attempts(session: Session) -> Sequence:
    return _rows(session, "attempt")


def attempt_tasks(session: Session) -> dict[int, list]:
    out: dict[int, list] = {}
    for row in _rows(session, "attempt_task"):
        out.setdefault(row.attempt_id, []).append(row)
    return out


def first_passes(session: Session) -> dict[int, list[str]]:
    """Per check: the tasks it passed for the first time."""
    out: dict[int, list[str]] = {}
    for row in _rows(session, "task_pass"):
        out.setdefault(row.attempt_id, []).append(row.task_id)
    return out


def hints(session: Session) -> Sequence:
    return _rows(session, "hint_reveal")


def quiz_answers(session: Session) -> Sequence:
    return _rows(session, "quiz_answer")


def xp_awards(session: Session) -> Sequence:
    return _rows(session, "xp_award")


def snapshots(session: Session, digests: set[str]) -> dict[str, bytes]:
    if not digests:
        return {}
    wanted = sorted(digests)
    rows = session.execute(f"SELECT digest, files FROM snapshot WHERE digest IN ({', '.join('?' * len(wanted))})",
                           wanted)
    return {digest: files for digest, files in rows}
