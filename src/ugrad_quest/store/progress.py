"""Queries and inserts over the event tables. No game rules here: callers decide what to award."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from sqlalchemy import func
from sqlalchemy.dialects.sqlite import insert
from sqlmodel import Session, select

from ugrad_quest.store.db import CLOCK_PINNED
from ugrad_quest.store.tables import (Attempt, AttemptTask, HintReveal, QuestStart, QuizAnswer, Setting, Snapshot,
                                     TaskPass, XpAward)


def _clock(session: Session) -> dict:
    """The clock_pinned column of an event row: what the Store this session belongs to was opened with."""
    return {"clock_pinned": bool(session.info.get(CLOCK_PINNED, False))}


def _insert_once(session: Session, table, **values) -> bool:
    """Insert unless a row with the same unique key exists; True if this call inserted it."""
    result = session.execute(insert(table).values(**values).on_conflict_do_nothing())
    return result.rowcount == 1


def record_start(session: Session, quest_id: str, workspace: str, package: str,
                 now: dt.datetime, today: dt.date) -> bool:
    return _insert_once(session, QuestStart, quest_id=quest_id, workspace=workspace, package=package,
                        started_at=now, local_date=today, **_clock(session))


def started_quests(session: Session) -> set[str]:
    return set(session.exec(select(QuestStart.quest_id)).all())


def add_attempt(session: Session, quest_id: str, workspace: str, package: str, now: dt.datetime,
                today: dt.date, duration_ms: int, passed: bool,
                tasks: Iterable[tuple[str, str, int, str]]) -> int:
    attempt = Attempt(quest_id=quest_id, workspace=workspace, package=package, started_at=now,
                      local_date=today, duration_ms=duration_ms, passed=passed, **_clock(session))
    session.add(attempt)
    session.flush()
    for task_id, status, duration, message in tasks:
        session.add(AttemptTask(attempt_id=attempt.id, task_id=task_id, status=status,
                                duration_ms=duration, message=message))
    return attempt.id


def keep_snapshot(session: Session, attempt_id: int, digest: str, encoded: bytes) -> None:
    """Link the check to the source it ran on, storing that source once however many checks share it."""
    _insert_once(session, Snapshot, digest=digest, files=encoded, size=len(encoded))
    session.get(Attempt, attempt_id).snapshot = digest


def skip_snapshot(session: Session, attempt_id: int, why: str) -> None:
    """Record why a check that completed a task kept no snapshot (a key of ledger.snapshot.SKIPPED)."""
    session.get(Attempt, attempt_id).snapshot_skipped = why


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
                        review=review, awarded_at=now, local_date=today, attempt_id=attempt_id, **_clock(session))


def total_xp(session: Session) -> int:
    return int(session.exec(select(func.coalesce(func.sum(XpAward.xp), 0))).one())


def count_task_passes(session: Session) -> int:
    return int(session.exec(select(func.count()).select_from(TaskPass)).one())


def completed_quests(session: Session) -> list[str]:
    return list(session.exec(select(XpAward.quest_id).where(XpAward.kind == "quest")).all())


def xp_by_day(session: Session) -> dict[dt.date, int]:
    """XP per local date that earned anything (one GROUP BY over the (local_date, xp) index)."""
    rows = session.exec(select(XpAward.local_date, func.sum(XpAward.xp)).group_by(XpAward.local_date)).all()
    return {day: int(xp) for day, xp in rows}


def count_awards(session: Session, kind: str) -> int:
    return int(session.exec(select(func.count()).select_from(XpAward).where(XpAward.kind == kind)).one())


def awards(session: Session, limit: int | None = None, kind: str | None = None) -> list[XpAward]:
    """Awards, newest first."""
    query = select(XpAward).order_by(XpAward.awarded_at.desc(), XpAward.id.desc())
    if kind is not None:
        query = query.where(XpAward.kind == kind)
    if limit is not None:
        query = query.limit(limit)
    return list(session.exec(query).all())


def earned_badges(session: Session) -> dict[str, dt.date]:
    """Earned badge ids with the local date of each, in the order they were earned."""
    rows = session.exec(select(XpAward.task_id, XpAward.local_date).where(XpAward.kind == "badge")
                        .order_by(XpAward.awarded_at, XpAward.id)).all()
    return dict(rows)


def first_try_tasks(session: Session) -> set[tuple[str, str]]:
    """Tasks whose first pass came in the first check that included them."""
    earlier = (select(func.count()).select_from(AttemptTask)
               .join(Attempt, Attempt.id == AttemptTask.attempt_id)
               .where(Attempt.quest_id == TaskPass.quest_id, AttemptTask.task_id == TaskPass.task_id,
                      Attempt.id < TaskPass.attempt_id)
               .scalar_subquery())
    return {(q, t) for q, t in session.exec(select(TaskPass.quest_id, TaskPass.task_id).where(earlier == 0)).all()}


def quests_hinted_before_completion(session: Session) -> set[str]:
    rows = session.exec(
        select(XpAward.quest_id).distinct()
        .join(HintReveal, (HintReveal.quest_id == XpAward.quest_id) & (HintReveal.revealed_at <= XpAward.awarded_at))
        .where(XpAward.kind == "quest")).all()
    return set(rows)


def failures_before(session: Session, quest_id: str, task_id: str, attempt_id: int) -> list[str]:
    """Messages of the task's failed checks before `attempt_id`, oldest first."""
    return list(session.exec(
        select(AttemptTask.message).join(Attempt, Attempt.id == AttemptTask.attempt_id)
        .where(Attempt.quest_id == quest_id, AttemptTask.task_id == task_id, Attempt.id < attempt_id,
               AttemptTask.status != "passed")
        .order_by(Attempt.id)).all())


def quest_activity(session: Session, quest_id: str) -> tuple[dt.datetime | None, int, int]:
    """When the quest was started, how many checks it has had, and how many hints were revealed."""
    started = session.exec(select(QuestStart.started_at).where(QuestStart.quest_id == quest_id)).first()
    checks = session.exec(select(func.count()).select_from(Attempt).where(Attempt.quest_id == quest_id)).one()
    hints = session.exec(select(func.count()).select_from(HintReveal).where(HintReveal.quest_id == quest_id)).one()
    return started, int(checks), int(hints)


def add_quiz_answer(session: Session, quest_id: str, question_id: str, answer: str, correct: bool,
                    now: dt.datetime, today: dt.date) -> None:
    session.add(QuizAnswer(quest_id=quest_id, question_id=question_id, answer=answer, correct=correct,
                           answered_at=now, local_date=today, **_clock(session)))


def quiz_tally(session: Session, quest_id: str) -> dict[str, tuple[int, int]]:
    """Per question of the quest: (wrong answers given, right answers given)."""
    rows = session.exec(
        select(QuizAnswer.question_id, QuizAnswer.correct, func.count())
        .where(QuizAnswer.quest_id == quest_id).group_by(QuizAnswer.question_id, QuizAnswer.correct)).all()
    tally: dict[str, tuple[int, int]] = {}
    for question_id, correct, n in rows:
        wrong, right = tally.get(question_id, (0, 0))
        tally[question_id] = (wrong, right + n) if correct else (wrong + n, right)
    return tally


def hints_revealed(session: Session, quest_id: str, task_id: str) -> int:
    return int(session.exec(select(func.count()).select_from(HintReveal).where(
        HintReveal.quest_id == quest_id, HintReveal.task_id == task_id)).one())


def reveal_hint(session: Session, quest_id: str, task_id: str, index: int, now: dt.datetime, today: dt.date) -> bool:
    return _insert_once(session, HintReveal, quest_id=quest_id, task_id=task_id, hint_index=index,
                        revealed_at=now, local_date=today, **_clock(session))


def get_setting(session: Session, key: str) -> str | None:
    row = session.get(Setting, key)
    return row.value if row else None


def set_setting(session: Session, key: str, value: str) -> None:
    session.execute(insert(Setting).values(key=key, value=value)
                    .on_conflict_do_update(index_elements=["key"], set_={"value": value}))


def delete_setting(session: Session, key: str) -> None:
    row = session.get(Setting, key)
    if row is not None:
        session.delete(row)
