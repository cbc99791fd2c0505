"""The whole event log, read for `quest export`: every row of every event table, oldest first."""

from __future__ import annotations

from sqlmodel import Session, select

from ugrad_quest.store.tables import Attempt, AttemptTask, HintReveal, QuestStart, QuizAnswer, Snapshot, TaskPass, XpAward


def starts(session: Session) -> list[QuestStart]:
    return list(session.exec(select(QuestStart).order_by(QuestStart.id)).all())


def attempts(session: Session) -> list[Attempt]:
    return list(session.exec(select(Attempt).order_by(Attempt.id)).all())


def attempt_tasks(session: Session) -> dict[int, list[AttemptTask]]:
    out: dict[int, list[AttemptTask]] = {}
    for row in session.exec(select(AttemptTask).order_by(AttemptTask.id)).all():
        out.setdefault(row.attempt_id, []).append(row)
    return out


def first_passes(session: Session) -> dict[int, list[str]]:
    """Per check: the tasks it passed for the first time."""
    out: dict[int, list[str]] = {}
    for row in session.exec(select(TaskPass).order_by(TaskPass.id)).all():
        out.setdefault(row.attempt_id, []).append(row.task_id)
    return out


def hints(session: Session) -> list[HintReveal]:
    return list(session.exec(select(HintReveal).order_by(HintReveal.id)).all())


def quiz_answers(session: Session) -> list[QuizAnswer]:
    return list(session.exec(select(QuizAnswer).order_by(QuizAnswer.id)).all())


def xp_awards(session: Session) -> list[XpAward]:
    return list(session.exec(select(XpAward).order_by(XpAward.id)).all())


def snapshots(session: Session, digests: set[str]) -> dict[str, bytes]:
    if not digests:
        return {}
    rows = session.exec(select(Snapshot.digest, Snapshot.files).where(Snapshot.digest.in_(sorted(digests)))).all()
    return dict(rows)
