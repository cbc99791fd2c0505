"""Queries and inserts over the event tables. No game rules here: callers decide what to award."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func
from sqlalchemy.dialects.sqlite import insert
from sqlmodel import Session, select

from ugrad_quest.store.tables import Attempt, AttemptTask, HintReveal, QuestStart, Setting, TaskPass, XpAward


def _insert_once(session: Session, table, **values) -> bool:
    """Insert unless a row with the same unique key exists; True if this call inserted it."""
    result = session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def record_start(session: Session, quest_id: str, workspace: str, package: str,
                 now: dt.datetime, today: dt.date) -> bool:
    return _insert_once(session, QuestStart, quest_id=quest_id, workspace=workspace, package=package,
                        started_at=now, local_date=today)


def started_quests(session: Session) -> set[str]:
    return set(session.exec(select(QuestStart.quest_id)).all())


def add_attempt(session: Session, quest_id: str, workspace: str, package: str, now: dt.datetime,
                today: dt.date, duration_ms: int, passed: bool,
                tasks: Iterable[tuple[str, str, int, str]]) -> int:
    attempt = Attempt(quest_id=quest_id, workspace=workspace, package=package, started_at=now,
                      local_date=today, duration_ms=duration_ms, passed=passed)
    session.add(attempt)
    session.flush()
    for task_id, status, duration, message in tasks:
        session.add(AttemptTask(attempt_id=attempt.id, task_id=task_id, status=status,
                                duration_ms=duration, message=message))
    return attempt.id


def add_task_pass(session: Session, quest_id: str, task_id: str, attempt_id: int,
                  now: dt.datetime, today: dt.date) -> bool:
    return _insert_once(session, TaskPass, quest_id=quest_id, task_id=task_id, attempt_id=attempt_id,
                        passed_at=now, local_date=today)


def passed_tasks(session: Session, quest_id: str | None = None) -> set[tuple[str, str]]:
    query = select(TaskPass.quest_id, TaskPass.task_id)
    if quest_id is not None:
        query = query.where(TaskPass.quest_id == quest_id)
    return {(q, t) for q, t in session.exec(query).all()}


def checks_before_pass(session: Session, quest_id: str, task_ids: Iterable[str]) -> dict[str, int]:
    """How many recorded checks included each task (the passing one included)."""
    rows = session.exec(
        select(AttemptTask.task_id, func.count())
        .join(Attempt, Attempt.id == AttemptTask.attempt_id)
        .where(Attempt.quest_id == quest_id, AttemptTask.task_id.in_(list(task_ids)))
        .group_by(AttemptTask.task_id)
    ).all()
    return dict(rows)


def add_award(session: Session, kind: str, quest_id: str, task_id: str, xp: int, review: str,
              now: dt.datetime, today: dt.date, attempt_id: int | None) -> bool:
    return _insert_once(session, XpAward, kind=kind, quest_id=quest_id, task_id=task_id, xp=xp,
                        review=review, awarded_at=now, local_date=today, attempt_id=attempt_id)


def total_xp(session: Session) -> int:
    return int(session.exec(select(func.coalesce(func.sum(XpAward.xp), 0))).one())


def count_task_passes(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(TaskPass)).one())


def completed_quests(session: Session) -> list[str]:
    return list(session.exec(select(XpAward.quest_id).where(XpAward.kind == "quest")).all())


def active_dates(session: Session) -> list[dt.date]:
    """Distinct local dates that earned anything, oldest first (aggregated in SQL via the index)."""
    return list(session.exec(select(XpAward.local_date).distinct().order_by(XpAward.local_date)).all())


def recent_awards(session: Session, limit: int) -> list[XpAward]:
    return list(session.exec(select(XpAward).order_by(XpAward.awarded_at.desc(), XpAward.id.desc()).limit(limit)).all())


def hints_revealed(session: Session, quest_id: str, task_id: str) -> int:
    return int(session.exec(select(func.count()).select_from(HintReveal).where(
        HintReveal.quest_id == quest_id, HintReveal.task_id == task_id)).one())


def reveal_hint(session: Session, quest_id: str, task_id: str, index: int, now: dt.datetime, today: dt.date) -> bool:
    return _insert_once(session, HintReveal, quest_id=quest_id, task_id=task_id, hint_index=index,
                        revealed_at=now, local_date=today)


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str) -> None:
    session.execute(insert(Setting).values(key=key, value=value)
                    .on_conflict_do_update(index_elements=["key"], set_={"value": value}))
