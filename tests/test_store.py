"""The progress database: migrations, idempotent awards, damaged and locked files."""

from __future__ import annotations

import datetime as dt
import sqlite3
from pathlib import Path

import pytest
from sqlmodel import SQLModel, create_engine

from ugrad_quest.store import migrations
from ugrad_quest.store import progress as rows
from ugrad_quest.store.db import Store
from ugrad_quest.store.errors import StoreError
from ugrad_quest.store import tables  # noqa: F401  (registers the tables on SQLModel.metadata)

NOW = dt.datetime(2026, 3, 8, 23, 30, tzinfo=dt.timezone.utc)
TODAY = NOW.date()


def _schema(path: Path) -> dict[str, dict]:
    conn = sqlite3.connect(path)
    try:
        out = {}
        names = [r[0] for r in conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE 'sqlite_%' AND name != '_migrations'")]
        for name in names:
            # (type, not null, default, primary key): a column added by ALTER TABLE must match a created one.
            cols = {r[1]: (r[2].upper(), bool(r[3]), r[4], bool(r[5]))
                    for r in conn.execute(f'PRAGMA table_info("{name}")')}
            uniques = sorted(
                tuple(c[2] for c in conn.execute(f'PRAGMA index_info("{idx[1]}")'))
                for idx in conn.execute(f'PRAGMA index_list("{name}")') if idx[2])
            indexed = sorted(
                tuple(c[2] for c in conn.execute(f'PRAGMA index_info("{idx[1]}")'))
                for idx in conn.execute(f'PRAGMA index_list("{name}")') if not idx[2])
            fks = sorted((r[3], r[2], r[4]) for r in conn.execute(f'PRAGMA foreign_key_list("{name}")'))
            out[name] = {"columns": cols, "unique": uniques, "indexes": indexed, "fks": fks}
        return out
    finally:
        conn.close()


def _database_at(path: Path, applied: list) -> None:
    """A database as the release that had only `applied` left it (the _migrations table of those releases)."""
    engine = create_engine(f"sqlite:///{path}")
    with engine.begin() as conn:
        conn.exec_driver_sql("CREATE TABLE _migrations (name VARCHAR NOT NULL PRIMARY KEY, applied_at VARCHAR NOT NULL)")
        for migration in applied:
            migration(conn)
            conn.exec_driver_sql("INSERT INTO _migrations VALUES (?, '2026-03-01T00:00:00+00:00')",
                                 (migration.__name__,))
    engine.dispose()


def test_migrated_schema_matches_the_models(tmp_path: Path):
    store = Store.open(tmp_path / "migrated.sqlite3")
    store.close()
    engine = create_engine(f"sqlite:///{tmp_path / 'models.sqlite3'}")
    SQLModel.metadata.create_all(engine)
    engine.dispose()
    assert _schema(tmp_path / "migrated.sqlite3") == _schema(tmp_path / "models.sqlite3")


def test_migrations_are_recorded_and_run_once(tmp_path: Path):
    path = tmp_path / "p.sqlite3"
    Store.open(path).close()
    Store.open(path).close()
    names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM _migrations")]
    assert names == [m.__name__ for m in migrations.MIGRATIONS]
    assert migrations.HEAD == names[-1]


def test_a_later_migration_applies_to_an_existing_database_and_keeps_rows(tmp_path: Path, monkeypatch):
    path = tmp_path / "p.sqlite3"
    store = Store.open(path)
    with store.session() as s:
        rows.record_start(s, "value", "/ws", "ugrad", NOW, TODAY)
    store.close()

    def m999_add_note(conn):
        conn.exec_driver_sql("ALTER TABLE quest_start ADD COLUMN note VARCHAR")

    monkeypatch.setattr(migrations, "MIGRATIONS", [*migrations.MIGRATIONS, m999_add_note])
    Store.open(path).close()
    conn = sqlite3.connect(path)
    assert [r[0] for r in conn.execute("SELECT quest_id FROM quest_start")] == ["value"]
    assert "note" in [r[1] for r in conn.execute("PRAGMA table_info(quest_start)")]


def test_awards_are_idempotent(tmp_path: Path):
    store = Store.open(tmp_path / "p.sqlite3")
    with store.session() as s:
        attempt = rows.add_attempt(s, "value", "/ws", "ugrad", NOW, TODAY, 100, True, [("add-mul", "passed", 5, "")])
        assert rows.add_task_pass(s, "value", "add-mul", attempt, NOW, TODAY) is True
        assert rows.add_task_pass(s, "value", "add-mul", attempt, NOW, TODAY) is False
        assert rows.add_award(s, "task", "value", "add-mul", 50, "r", NOW, TODAY, attempt) is True
        assert rows.add_award(s, "task", "value", "add-mul", 50, "r", NOW, TODAY, attempt) is False
    with store.session() as s:
        assert rows.total_xp(s) == 50
        assert rows.count_task_passes(s) == 1
    store.close()


def test_failed_transaction_writes_nothing(tmp_path: Path):
    store = Store.open(tmp_path / "p.sqlite3")
    with pytest.raises(RuntimeError):
        with store.session() as s:
            rows.add_award(s, "task", "value", "add-mul", 50, "r", NOW, TODAY, None)
            raise RuntimeError("interrupted mid-check")
    with store.session() as s:
        assert rows.total_xp(s) == 0
    store.close()


def test_damaged_database_is_refused_and_left_untouched(tmp_path: Path):
    path = tmp_path / "p.sqlite3"
    path.write_bytes(b"this is not sqlite at all" * 100)
    before = path.read_bytes()
    with pytest.raises(StoreError, match="damaged or is not a ugrad-quest database"):
        Store.open(path)
    assert path.read_bytes() == before


def test_truncated_database_is_refused(tmp_path: Path):
    path = tmp_path / "p.sqlite3"
    Store.open(path).close()
    data = path.read_bytes()
    path.write_bytes(data[:100] + b"\x00" * 50 + b"garbage" * 600)
    before = path.read_bytes()
    with pytest.raises(StoreError):
        store = Store.open(path)
        with store.session() as s:
            rows.total_xp(s)
    assert path.read_bytes() == before


def test_locked_database_gives_a_clear_error(tmp_path: Path, monkeypatch):
    from ugrad_quest.store import db

    path = tmp_path / "p.sqlite3"
    Store.open(path).close()
    holder = sqlite3.connect(path, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    monkeypatch.setattr(db, "BUSY_TIMEOUT_SECONDS", 0.2)
    try:
        with pytest.raises(StoreError, match="locked by another quest command"):
            Store.open(path)
    finally:
        holder.execute("ROLLBACK")
        holder.close()


def test_quest_home_that_is_a_file_is_refused(tmp_path: Path):
    (tmp_path / "home").write_text("oops")
    with pytest.raises(StoreError, match="is a file, not a folder"):
        Store.open(tmp_path / "home" / "p.sqlite3")


def test_a_database_from_the_first_release_migrates_to_head_keeping_every_row(tmp_path: Path):
    path = tmp_path / "p.sqlite3"
    _database_at(path, [migrations.m001_initial])
    # The rows exactly as the first release wrote them (today's models have columns it had not).
    conn = sqlite3.connect(path)
    with conn:
        conn.execute("INSERT INTO attempt VALUES (1, 'value', '/ws', 'ugrad', ?, ?, 100, 1)",
                     (NOW.isoformat(sep=" "), TODAY.isoformat()))
        conn.execute("INSERT INTO attempt_task VALUES (1, 1, 'add-mul', 'passed', 5, '')")
        conn.execute("INSERT INTO task_pass VALUES (1, 'value', 'add-mul', 1, ?, ?)",
                     (NOW.isoformat(sep=" "), TODAY.isoformat()))
        conn.execute("INSERT INTO xp_award VALUES (1, 'task', 'value', 'add-mul', 50, ?, ?, 'r', 1)",
                     (NOW.isoformat(sep=" "), TODAY.isoformat()))
    conn.close()
    assert "quiz_answer" not in _schema(path)

    store = Store.open(path)
    with store.session() as s:
        assert rows.total_xp(s) == 50 and rows.xp_by_day(s) == {TODAY: 50}
        rows.add_quiz_answer(s, "value", "tanh-slope", "0.7864", True, NOW, TODAY)
    with store.session() as s:
        assert rows.quiz_tally(s, "value") == {"tanh-slope": (0, 1)}
        assert rows.passed_tasks(s) == {("value", "add-mul")}
    store.close()
    names = [r[0] for r in sqlite3.connect(path).execute("SELECT name FROM _migrations ORDER BY rowid")]
    assert names == ["m001_initial", "m002_game", "m003_snapshots", "m004_clock", "m005_snapshot_skipped"]
    # The upgraded file has the schema of a new one.
    fresh = tmp_path / "fresh.sqlite3"
    Store.open(fresh).close()
    assert _schema(path) == _schema(fresh)


# --- m004: whether each event's moment came from QUEST_NOW ---------------------------------------

def test_a_database_at_m003_migrates_to_m004_keeping_every_row_as_not_pinned(tmp_path: Path):
    path = tmp_path / "p.sqlite3"
    _database_at(path, migrations.MIGRATIONS[:3])
    stamp, day = NOW.isoformat(sep=" "), TODAY.isoformat()
    conn = sqlite3.connect(path)
    with conn:  # one row in each event table, exactly as m003 wrote them
        conn.execute("INSERT INTO quest_start VALUES (1, 'value', '/ws', 'ugrad', ?, ?)", (stamp, day))
        conn.execute("INSERT INTO attempt VALUES (1, 'value', '/ws', 'ugrad', ?, ?, 100, 1, NULL)", (stamp, day))
        conn.execute("INSERT INTO hint_reveal VALUES (1, 'value', 'add-mul', 0, ?, ?)", (stamp, day))
        conn.execute("INSERT INTO quiz_answer VALUES (1, 'value', 'tanh-slope', '0.7864', 1, ?, ?)", (stamp, day))
        conn.execute("INSERT INTO xp_award VALUES (1, 'task', 'value', 'add-mul', 40, ?, ?, 'r', 1)", (stamp, day))
    conn.close()
    assert "clock_pinned" not in _schema(path)["attempt"]["columns"]

    store = Store.open(path, clock_pinned=True)
    with store.session() as s:  # the old rows read as before, and new ones record the pinned clock
        assert rows.total_xp(s) == 40 and rows.started_quests(s) == {"value"}
        rows.add_quiz_answer(s, "value", "tanh-slope", "0.7864", True, NOW, TODAY)
    store.close()
    conn = sqlite3.connect(path)
    for table in migrations.EVENT_TABLES:
        assert conn.execute(f"SELECT clock_pinned FROM {table} WHERE id = 1").fetchall() == [(0,)], table
    assert conn.execute("SELECT clock_pinned FROM quiz_answer WHERE id = 2").fetchall() == [(1,)]
    assert "m004_clock" in [r[0] for r in conn.execute("SELECT name FROM _migrations")]
    conn.close()
    fresh = tmp_path / "fresh.sqlite3"
    Store.open(fresh).close()
    assert _schema(path) == _schema(fresh)


def _pinned_by_table(db: Path) -> dict[str, set[int]]:
    conn = sqlite3.connect(db)
    try:
        return {t: {r[0] for r in conn.execute(f"SELECT clock_pinned FROM {t}")} for t in migrations.EVENT_TABLES}
    finally:
        conn.close()


@pytest.mark.parametrize("quest_now, pinned", [("2026-03-02T10:00:00", 1), (None, 0)], ids=["QUEST_NOW", "wall-clock"])
def test_every_event_row_records_whether_its_command_ran_with_quest_now(course, cli, tmp_path, quest_home,
                                                                       monkeypatch, quest_now, pinned):
    from conftest import BASICS_ENGINE, write_engine

    if quest_now:
        monkeypatch.setenv("QUEST_NOW", quest_now)
    ws = tmp_path / "ws"
    assert cli("start", "basics", "--dir", str(ws)).exit_code == 0  # quest_start
    assert cli("hint", "data", "--yes", cwd=ws).exit_code == 0  # hint_reveal
    write_engine(ws, BASICS_ENGINE)
    assert cli("check", cwd=ws).exit_code == 0  # attempt, and xp_award for tasks, the quest and badges
    assert cli("quiz", "basics", "--question", "q1", "--answer", "2").exit_code == 0  # quiz_answer
    assert _pinned_by_table(quest_home / "progress.sqlite3") == {t: {pinned} for t in migrations.EVENT_TABLES}
