"""The connection and its transactions: one SQLite file, migrated forward on open, writes in IMMEDIATE
transactions.

Plain sqlite3, not SQLAlchemy: importing SQLAlchemy and SQLModel took 0.15-0.8 s of every command that
touches progress, to run a few milliseconds of SQL. The schema is the migrations' (tables.py keeps the
same tables as models, and tests/test_store.py checks the two agree); the values are stored exactly as
SQLAlchemy stored them (see _stamp), so databases written before read the same.
"""

from __future__ import annotations

import collections
import datetime as dt
import functools
import sqlite3
from collections.abc import Iterator
from contextlib import contextmanager, suppress
from pathlib import Path

from ugrad_quest.store import compat, migrations
from ugrad_quest.store.errors import StoreError, explain
from ugrad_quest.store.quick_reads import check_database_file

BUSY_TIMEOUT_SECONDS = 10.0

UTC = dt.timezone.utc


def _moment(raw: bytes) -> dt.datetime:
    moment = dt.datetime.fromisoformat(raw.decode())
    return moment.replace(tzinfo=UTC) if moment.utcoffset() is None else moment.astimezone(UTC)


# What a column's declared type reads back as, as SQLModel read it (aggregates stay numbers).
sqlite3.register_converter("DATETIME", _moment)
sqlite3.register_converter("DATE", lambda raw: dt.date.fromisoformat(raw.decode()))
sqlite3.register_converter("BOOLEAN", lambda raw: bool(int(raw)))


def stamp(moment: dt.datetime) -> str:
    """A moment as SQLModel stored it on SQLite: in UTC to the microsecond, without the offset (it reads
    back as a UTC moment). The learner's local date is stored beside it, in its own column."""
    if moment.utcoffset() is None:
        raise ValueError("a moment stored in the progress database must carry its time zone")
    moment = moment.astimezone(UTC)
    return (f"{moment.year:04d}-{moment.month:02d}-{moment.day:02d} "
            f"{moment.hour:02d}:{moment.minute:02d}:{moment.second:02d}.{moment.microsecond:06d}")


def day(date: dt.date) -> str:
    """A calendar date as SQLAlchemy stored a DATE on SQLite."""
    return f"{date.year:04d}-{date.month:02d}-{date.day:02d}"


@functools.lru_cache(maxsize=None)
def _record_type(names: tuple[str, ...]):
    return collections.namedtuple("Record", names, rename=True)


def _record(cursor: sqlite3.Cursor, values: tuple):
    """Rows read by column name (row.quest_id) or unpacked as tuples."""
    return _record_type(tuple(c[0] for c in cursor.description))(*values)


class Session:
    """One transaction on the database (store.session() begins and ends it)."""

    def __init__(self, conn: sqlite3.Connection, clock_pinned: bool = False):
        self.conn = conn
        self.clock_pinned = clock_pinned
        """Whether the moments this command writes come from QUEST_NOW: every event row records it."""

    def execute(self, sql: str, params=()) -> sqlite3.Cursor:
        return self.conn.execute(sql, params)

    exec_driver_sql = execute  # the name migrations call (they also run on SQLAlchemy connections in tests)

    def one(self, sql: str, params=()):
        """The single value of a one-row, one-column query."""
        return self.conn.execute(sql, params).fetchone()[0]


class Store:
    """The learner's progress database. Open it with Store.open(path)."""

    def __init__(self, conn: sqlite3.Connection, path: Path, clock_pinned: bool = False):
        self.conn, self.path = conn, path
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
        try:
            # Autocommit mode, so we decide when transactions start: IMMEDIATE takes the write lock up
            # front, so two concurrent checks queue instead of failing mid-award. check_same_thread: a
            # check opens the store in a thread while the judge runs, and records from the main thread.
            conn = sqlite3.connect(path, timeout=BUSY_TIMEOUT_SECONDS, isolation_level=None,
                                   check_same_thread=False, detect_types=sqlite3.PARSE_DECLTYPES)
            conn.row_factory = _record
            conn.execute("PRAGMA foreign_keys = ON")
        except sqlite3.Error as exc:
            raise explain(exc, path) from None
        store = cls(conn, path, clock_pinned)
        try:
            store.migrate()
        except BaseException:
            conn.close()
            raise
        return store

    def migrate(self) -> None:
        try:
            with self._transaction() as conn:
                # Before anything is written: a newer version's database is left exactly as it was.
                compat.refuse_unknown(conn.conn, self.path)
                todo = migrations.pending(migrations.applied(conn))
            for migration in todo:
                with self._transaction() as conn:
                    # Re-read inside the lock: another process may have migrated meanwhile.
                    if migration.__name__ in migrations.applied(conn):
                        continue
                    migration(conn)
                    migrations.record(conn, migration)
            compat.refuse_unknown(self.conn, self.path, migrations.schema())
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from None

    @contextmanager
    def _transaction(self) -> Iterator[Session]:
        self.conn.execute("BEGIN IMMEDIATE")
        try:
            yield Session(self.conn, self.clock_pinned)
            self.conn.execute("COMMIT")
        except BaseException:
            if self.conn.in_transaction:
                with suppress(sqlite3.Error):  # the first error is the one to explain
                    self.conn.execute("ROLLBACK")
            raise

    @contextmanager
    def session(self) -> Iterator[Session]:
        """One transaction: committed on success, rolled back (nothing written) on any error."""
        try:
            with self._transaction() as session:
                yield session
        except sqlite3.Error as exc:
            raise explain(exc, self.path) from None

    def close(self) -> None:
        self.conn.close()
