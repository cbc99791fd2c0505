"""Engine and sessions: one SQLite file, migrated forward on open, writes in IMMEDIATE transactions."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import create_engine, event
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError
from sqlmodel import Session, SQLModel

from ugrad_quest.store import compat, migrations, tables  # noqa: F401  (tables registers the models on SQLModel)
from ugrad_quest.store.errors import StoreError, explain
from ugrad_quest.store.quick_reads import check_database_file

BUSY_TIMEOUT_SECONDS = 10.0

CLOCK_PINNED = "clock_pinned"
"""The key of Session.info that tells store.progress's inserts whether the clock was set by hand."""


class Store:
    """The learner's progress database. Open it with Store.open(path)."""

    def __init__(self, engine: Engine, path: Path, clock_pinned: bool = False):
        self.engine, self.path = engine, path
        self.clock_pinned = clock_pinned
        """The moments this command writes come from QUEST_NOW, not the wall clock (services.Context decides)."""

    @classmethod
    def open(cls, path: Path, clock_pinned: bool = False) -> "Store":
        check_database_file(path)  # first: it says what is wrong with a file that is there (stat only)
        if path.parent.is_file():
            raise StoreError(f"The data folder {path.parent} (QUEST_HOME) is a file, not a folder; move it aside "
                             "or set QUEST_HOME to a folder (nothing was changed).")
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as exc:
            raise StoreError(f"Cannot create the data folder {path.parent}: {exc.strerror}.") from None
        engine = create_engine(
            f"sqlite:///{path}",
            connect_args={"timeout": BUSY_TIMEOUT_SECONDS, "isolation_level": None, "check_same_thread": False},
        )

        @event.listens_for(engine, "connect")
        def _connect(dbapi_conn, _record):
            dbapi_conn.execute("PRAGMA foreign_keys = ON")

        # The driver runs in autocommit mode so we decide when transactions start: IMMEDIATE takes
        # the write lock up front, so two concurrent checks queue instead of failing mid-award.
        @event.listens_for(engine, "begin")
        def _begin(conn):
            conn.exec_driver_sql("BEGIN IMMEDIATE")

        store = cls(engine, path, clock_pinned)
        store.migrate()
        return store

    def migrate(self) -> None:
        try:
            with self.engine.begin() as conn:
                # Before anything is written: a newer version's database is left exactly as it was.
                compat.refuse_unknown(conn.connection.driver_connection, self.path)
                done = migrations.applied(conn)
                todo = migrations.pending(done)
            for migration in todo:
                with self.engine.begin() as conn:
                    # Re-read inside the lock: another process may have migrated meanwhile.
                    if migration.__name__ in migrations.applied(conn):
                        continue
                    migration(conn)
                    migrations.record(conn, migration)
            with self.engine.connect() as conn:
                compat.refuse_unknown(conn.connection.driver_connection, self.path, SQLModel.metadata)
        except (DBAPIError, sqlite3.Error) as exc:  # compat reads through the driver's own connection
            raise explain(exc, self.path) from None

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back (nothing written) on any error."""
        try:
            with Session(self.engine) as session:
                session.info[CLOCK_PINNED] = self.clock_pinned
                with session.begin():
                    yield session
        except DBAPIError as exc:
            raise explain(exc, self.path) from None

    def close(self) -> None:
        self.engine.dispose()
