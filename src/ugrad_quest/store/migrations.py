"""Named, ordered, recorded schema migrations; each runs in its own transaction.

Never edit a migration that has shipped: add the next one. tests/test_store.py checks that the
migrated schema matches the SQLModel tables. A migration is given the store's Session (store/db.py),
or in tests a SQLAlchemy Connection: both run SQL through exec_driver_sql. Each applied migration is a row of _migrations with the
version of ugrad-quest that applied it, so an older version can refuse the database by name
(store/compat.py). Stdlib only at import: quick_reads reads the names too.
"""

from __future__ import annotations

import datetime as dt
import sqlite3
from collections.abc import Callable
from typing import Any

Connection = Any
"""Anything with exec_driver_sql(sql, params=()) that returns rows: the store's Session."""
Migration = Callable[[Connection], None]
TABLE = "_migrations"
VERSION = "tool_version"
"""The column of _migrations naming the version that applied each migration (a database made before it
had it gets it with its next migration)."""


def m001_initial(conn: Connection) -> None:
    for statement in (
        """CREATE TABLE quest_start (
            id INTEGER NOT NULL PRIMARY KEY,
            quest_id VARCHAR NOT NULL UNIQUE,
            workspace VARCHAR NOT NULL,
            package VARCHAR NOT NULL,
            started_at DATETIME NOT NULL,
            local_date DATE NOT NULL)""",
        """CREATE TABLE attempt (
            id INTEGER NOT NULL PRIMARY KEY,
            quest_id VARCHAR NOT NULL,
            workspace VARCHAR NOT NULL,
            package VARCHAR NOT NULL,
            started_at DATETIME NOT NULL,
            local_date DATE NOT NULL,
            duration_ms INTEGER NOT NULL,
            passed BOOLEAN NOT NULL)""",
        "CREATE INDEX ix_attempt_quest_id ON attempt (quest_id)",
        """CREATE TABLE attempt_task (
            id INTEGER NOT NULL PRIMARY KEY,
            attempt_id INTEGER NOT NULL REFERENCES attempt (id),
            task_id VARCHAR NOT NULL,
            status VARCHAR NOT NULL,
            duration_ms INTEGER NOT NULL,
            message VARCHAR NOT NULL)""",
        "CREATE INDEX ix_attempt_task_attempt_id ON attempt_task (attempt_id)",
        """CREATE TABLE task_pass (
            id INTEGER NOT NULL PRIMARY KEY,
            quest_id VARCHAR NOT NULL,
            task_id VARCHAR NOT NULL,
            attempt_id INTEGER NOT NULL REFERENCES attempt (id),
            passed_at DATETIME NOT NULL,
            local_date DATE NOT NULL,
            UNIQUE (quest_id, task_id))""",
        """CREATE TABLE xp_award (
            id INTEGER NOT NULL PRIMARY KEY,
            kind VARCHAR NOT NULL,
            quest_id VARCHAR NOT NULL,
            task_id VARCHAR NOT NULL,
            xp INTEGER NOT NULL,
            awarded_at DATETIME NOT NULL,
            local_date DATE NOT NULL,
            review VARCHAR NOT NULL,
            attempt_id INTEGER REFERENCES attempt (id),
            UNIQUE (kind, quest_id, task_id))""",
        "CREATE INDEX ix_xp_award_local_date ON xp_award (local_date)",
        """CREATE TABLE hint_reveal (
            id INTEGER NOT NULL PRIMARY KEY,
            quest_id VARCHAR NOT NULL,
            task_id VARCHAR NOT NULL,
            hint_index INTEGER NOT NULL,
            revealed_at DATETIME NOT NULL,
            local_date DATE NOT NULL,
            UNIQUE (quest_id, task_id, hint_index))""",
        """CREATE TABLE setting (
            "key" VARCHAR NOT NULL PRIMARY KEY,
            value VARCHAR NOT NULL)""",
    ):
        conn.exec_driver_sql(statement)


def m002_game(conn: Connection) -> None:
    """Quiz answers, and indexes that keep the profile fast on a year of events."""
    for statement in (
        """CREATE TABLE quiz_answer (
            id INTEGER NOT NULL PRIMARY KEY,
            quest_id VARCHAR NOT NULL,
            question_id VARCHAR NOT NULL,
            answer VARCHAR NOT NULL,
            correct BOOLEAN NOT NULL,
            answered_at DATETIME NOT NULL,
            local_date DATE NOT NULL)""",
        "CREATE INDEX ix_quiz_answer_question ON quiz_answer (quest_id, question_id)",
        "CREATE INDEX ix_xp_award_day_xp ON xp_award (local_date, xp)",
        "CREATE INDEX ix_xp_award_awarded_at ON xp_award (awarded_at)",
    ):
        conn.exec_driver_sql(statement)


def m003_snapshots(conn: Connection) -> None:
    """The source a task-completing check ran on, so `quest export` can let anyone re-run it."""
    for statement in (
        """CREATE TABLE snapshot (
            digest VARCHAR NOT NULL PRIMARY KEY,
            files BLOB NOT NULL,
            size INTEGER NOT NULL)""",
        "ALTER TABLE attempt ADD COLUMN snapshot VARCHAR REFERENCES snapshot (digest)",
    ):
        conn.exec_driver_sql(statement)


EVENT_TABLES = ("quest_start", "attempt", "hint_reveal", "quiz_answer", "xp_award")
"""The tables whose rows carry a moment of the learner's (task_pass shares its check's)."""


def m004_clock(conn: Connection) -> None:
    """Whether each event's moment came from QUEST_NOW, so a bundle can say its dates were set by hand.

    Rows written before it are marked false: nothing recorded then whether the clock was pinned.
    """
    for table in EVENT_TABLES:
        conn.exec_driver_sql(f"ALTER TABLE {table} ADD COLUMN clock_pinned BOOLEAN NOT NULL DEFAULT 0")


def m005_snapshot_skipped(conn: Connection) -> None:
    """Why a task-completing check kept no snapshot (its package was too large), so verify can say so.

    Rows written before it hold NULL: nothing recorded then why a snapshot was missing.
    """
    conn.exec_driver_sql("ALTER TABLE attempt ADD COLUMN snapshot_skipped VARCHAR")


MIGRATIONS: list[Migration] = [m001_initial, m002_game, m003_snapshots, m004_clock, m005_snapshot_skipped]


def applied(conn: Connection) -> set[str]:
    conn.exec_driver_sql(f"CREATE TABLE IF NOT EXISTS {TABLE} (name VARCHAR NOT NULL PRIMARY KEY, "
                         f"applied_at VARCHAR NOT NULL, {VERSION} VARCHAR)")
    return {row[0] for row in conn.exec_driver_sql(f"SELECT name FROM {TABLE}")}


def pending(done: set[str]) -> list[Migration]:
    return [m for m in MIGRATIONS if m.__name__ not in done]


def record(conn: Connection, migration: Migration) -> None:
    from ugrad_quest import __version__

    if VERSION not in {row[1] for row in conn.exec_driver_sql(f"PRAGMA table_info({TABLE})")}:
        conn.exec_driver_sql(f"ALTER TABLE {TABLE} ADD COLUMN {VERSION} VARCHAR")  # made by an older version
    conn.exec_driver_sql(f"INSERT INTO {TABLE} (name, applied_at, {VERSION}) VALUES (?, ?, ?)",
                         (migration.__name__, dt.datetime.now(dt.timezone.utc).isoformat(), __version__))


HEAD = MIGRATIONS[-1].__name__


class _Plain:
    def __init__(self, conn: sqlite3.Connection):
        self.exec_driver_sql = conn.execute


def schema() -> dict[str, list[str]]:
    """Each table this version uses with its columns, as the migrations make them (a few milliseconds, in
    memory). They are the SQLModel tables' too: tests/test_store.py checks that they agree."""
    conn = sqlite3.connect(":memory:")
    try:
        for migration in MIGRATIONS:
            migration(_Plain(conn))
        names = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY rowid")]
        return {name: [r[1] for r in conn.execute(f'PRAGMA table_info("{name}")')] for name in names}
    finally:
        conn.close()
