"""The whole event log, read for `quest export`: every row of every event table, oldest first.

Rows come back as named tuples (Row), not model instances: building 100,000 SQLModel objects took
most of an export's time, and nothing here is written back.
"""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import Row
from sqlmodel import Session, select

from ugrad_quest.store.tables import Attempt, AttemptTask, HintReveal, QuestStart, QuizAnswer, Snapshot, TaskPass, XpAward


def _rows(session: Session, model) -> Sequence[Row]:
    table = model.__table__
    return session.execute(select(table).order_by(table.c.id)).all()


def starts(session: Session) -> Sequence[Row]:
    return _rows(session, QuestStart)


def attempts(session: Session) -> Sequence[Row]:
    return _rows(session, Attempt)


def attempt_tasks(session: Session) -> dict[int, list[Row]]:
    out: dict[int, list[Row]] = {}
    for row in _rows(session, AttemptTask):
        out.setdefault(row.attempt_id, []).append(row)
    return out


def first_passes(session: Session) -> dict[int, list[str]]:
    """Per check: the tasks it passed for the first time."""
    out: dict[int, list[str]] = {}
    for row in _rows(session, TaskPass):
        out.setdefault(row.attempt_id, []).append(row.task_id)
    return out


def hints(session: Session) -> Sequence[Row]:
    return _rows(session, HintReveal)


def quiz_answers(session: Session) -> Sequence[Row]:
    return _rows(session, QuizAnswer)


def xp_awards(session: Session) -> Sequence[Row]:
    return _rows(session, XpAward)


def snapshots(session: Session, digests: set[str]) -> dict[str, bytes]:
    if not digests:
        return {}
    rows = session.exec(select(Snapshot.digest, Snapshot.files).where(Snapshot.digest.in_(sorted(digests)))).all()
    return dict(rows)
