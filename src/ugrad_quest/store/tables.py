"""SQLModel tables. The log is event-sourced: levels, streaks and summaries are derived from these rows.

Dates in `local_date` are the learner's local calendar date at the moment of the event, stored
then (not recomputed later), so a streak never changes when the learner changes time zone.
Every event row also records `clock_pinned` (m004): whether that moment came from QUEST_NOW.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import Index, UniqueConstraint, text
from sqlmodel import Field, SQLModel


def clock_pinned_field():
    """Whether the row's moment came from QUEST_NOW (a clock set by hand for a scripted trial) rather
    than the wall clock. Its dates still count, but a bundle says they were set by hand (m004)."""
    return Field(default=False, sa_column_kwargs={"server_default": text("0")})


class QuestStart(SQLModel, table=True):
    __tablename__ = "quest_start"
    id: int | None = Field(default=None, primary_key=True)
    quest_id: str = Field(unique=True)
    workspace: str
    package: str
    started_at: dt.datetime
    local_date: dt.date
    clock_pinned: bool = clock_pinned_field()


class Attempt(SQLModel, table=True):
    """One `quest check` run."""

    __tablename__ = "attempt"
    id: int | None = Field(default=None, primary_key=True)
    quest_id: str = Field(index=True)
    workspace: str
    package: str
    started_at: dt.datetime
    local_date: dt.date
    duration_ms: int
    passed: bool
    snapshot: str | None = Field(default=None, foreign_key="snapshot.digest")
    """The digest of the package source this check ran on, kept when it completed a task (m003)."""
    snapshot_skipped: str | None = None
    """Why a check that completed a task kept no snapshot: a key of ledger.snapshot.SKIPPED (m005)."""
    clock_pinned: bool = clock_pinned_field()


class Snapshot(SQLModel, table=True):
    """The learner's package source as checked, content-addressed: identical code is stored once (m003)."""

    __tablename__ = "snapshot"
    digest: str = Field(primary_key=True)
    files: bytes
    """ledger.snapshot.encode() of {path: text}."""
    size: int


class AttemptTask(SQLModel, table=True):
    """The status of one task in one check run."""

    __tablename__ = "attempt_task"
    id: int | None = Field(default=None, primary_key=True)
    attempt_id: int = Field(foreign_key="attempt.id", index=True)
    task_id: str
    status: str
    duration_ms: int
    message: str


class TaskPass(SQLModel, table=True):
    """The first time a task passed; unique, so a task can only ever be first-passed once."""

    __tablename__ = "task_pass"
    __table_args__ = (UniqueConstraint("quest_id", "task_id"),)
    id: int | None = Field(default=None, primary_key=True)
    quest_id: str
    task_id: str
    attempt_id: int = Field(foreign_key="attempt.id")
    passed_at: dt.datetime
    local_date: dt.date


class XpAward(SQLModel, table=True):
    """XP given once per (kind, quest, task).

    kind is task, quest, quiz or badge; task_id is the task id, '' for a quest's completion, the
    question id for a quiz answer, the badge id for a badge (whose quest_id may be '').
    """

    __tablename__ = "xp_award"
    __table_args__ = (UniqueConstraint("kind", "quest_id", "task_id"),
                      # The heatmap's GROUP BY day reads only this index (m002).
                      Index("ix_xp_award_day_xp", "local_date", "xp"))
    id: int | None = Field(default=None, primary_key=True)
    kind: str
    quest_id: str
    task_id: str = ""
    xp: int
    awarded_at: dt.datetime = Field(index=True)
    local_date: dt.date = Field(index=True)
    review: str
    attempt_id: int | None = Field(default=None, foreign_key="attempt.id")
    clock_pinned: bool = clock_pinned_field()


class HintReveal(SQLModel, table=True):
    __tablename__ = "hint_reveal"
    __table_args__ = (UniqueConstraint("quest_id", "task_id", "hint_index"),)
    id: int | None = Field(default=None, primary_key=True)
    quest_id: str
    task_id: str
    hint_index: int
    revealed_at: dt.datetime
    local_date: dt.date
    clock_pinned: bool = clock_pinned_field()


class Setting(SQLModel, table=True):
    __tablename__ = "setting"
    key: str = Field(primary_key=True)
    value: str


class QuizAnswer(SQLModel, table=True):
    """Every answer given to a quiz question, right or wrong (m002)."""

    __tablename__ = "quiz_answer"
    __table_args__ = (Index("ix_quiz_answer_question", "quest_id", "question_id"),)
    id: int | None = Field(default=None, primary_key=True)
    quest_id: str
    question_id: str
    answer: str
    correct: bool
    answered_at: dt.datetime
    local_date: dt.date
    clock_pinned: bool = clock_pinned_field()
