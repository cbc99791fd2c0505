"""Bad input from outside the learner's code, through the real CLI: one sentence on stderr, exit 2,
nothing of the learner's written or lost.

A clock set out of range (QUEST_NOW), a progress database deleted during a check, unreadable,
read-only, a folder, locked, damaged or from a newer version of the tool, and quest.yaml numbers
out of range or a quest folder without its quest.yaml.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import shutil
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, COURSE, quest_command, snapshot, write_engine

import ugrad_quest

START_DAY = "2026-03-02T10:00:00"


def _db(quest_home: Path) -> Path:
    return quest_home / "progress.sqlite3"


def _home_files(quest_home: Path) -> dict[str, bytes]:
    """The data folder byte for byte (a journal left behind would show up too)."""
    return snapshot(quest_home)


def _count(db: Path, table: str) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute(f"SELECT count(*) FROM {table}").fetchone()[0]
    finally:
        conn.close()


@pytest.fixture
def workspace(course, cli, tmp_path, monkeypatch) -> Path:
    """A workspace of the fixture quest `basics` with one passing check recorded (on START_DAY, UTC)."""
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("QUEST_NOW", START_DAY)
    ws = tmp_path / "ws"
    assert cli("start", "basics", "--dir", str(ws)).exit_code == 0
    write_engine(ws, BASICS_ENGINE)
    assert cli("check", cwd=ws).exit_code == 0
    monkeypatch.delenv("QUEST_NOW")
    return ws


def _every_command(tmp_path: Path) -> list[tuple[str, ...]]:
    """One call of each command that reads or writes progress (check, hint and log run in the workspace)."""
    return [("start", "hangs", "--dir", str(tmp_path / "other")), ("check",), ("hint", "data", "--yes"),
            ("quiz", "basics", "--question", "q2", "--answer", "3"), ("profile",), ("profile", "--json"),
            ("log",), ("badges",), ("export", str(tmp_path / "bundle.json"))]


# --- QUEST_NOW outside the dates the game can do arithmetic on ------------------------------------

@pytest.mark.parametrize("moment, tz", [
    ("9999-12-31T23:59:59", "UTC"),
    ("0001-01-01T00:00:00", "UTC"),
    ("9999-12-31T23:59:59+00:00", "UTC"),
    ("0001-01-01T00:00:00-05:00", "UTC"),  # year 1 even after the zone moves it to 05:00
    ("1970-01-01T00:00:00+01:00", "UTC"),  # 1969-12-31 in the learner's zone
    ("9998-12-31T20:00:00-05:00", "Asia/Tokyo"),  # 9998 as written, 9999-01-01 in Tokyo
], ids=["9999", "year-1", "9999-utc", "year-1-offset", "1969-local", "9999-in-tokyo"])
def test_a_quest_now_out_of_range_is_refused_by_every_command_before_anything_is_written(
        workspace, cli, tmp_path, quest_home, monkeypatch, moment, tz):
    monkeypatch.setenv("TZ", tz)
    monkeypatch.setenv("QUEST_NOW", moment)
    home, ws = _home_files(quest_home), snapshot(workspace)
    for args in _every_command(tmp_path):
        result = cli(*args, cwd=workspace)
        assert (result.exit_code, result.stdout) == (2, ""), args
        assert result.stderr == (f"Error: QUEST_NOW={moment!r} is outside the dates quest can record "
                                 "(1970-01-01 to 9998-12-31 in your time zone).\n"), args
    assert _home_files(quest_home) == home and snapshot(workspace) == ws
    assert not (tmp_path / "other").exists() and not (tmp_path / "bundle.json").exists()


@pytest.mark.parametrize("moment", ["1970-01-01T00:00:00", "9998-12-31T23:59:59"])
def test_the_first_and_last_dates_of_the_range_work_for_every_command(course, cli, tmp_path, monkeypatch, moment):
    monkeypatch.setenv("TZ", "UTC")
    monkeypatch.setenv("QUEST_NOW", moment)
    ws = tmp_path / "ws"
    assert cli("start", "basics", "--dir", str(ws)).exit_code == 0
    write_engine(ws, BASICS_ENGINE)
    for args in _every_command(tmp_path):
        result = cli(*args, cwd=ws)
        assert result.exit_code == 0, (args, result.stderr)
    data = json.loads(cli("profile", "--json").stdout)
    assert data["heatmap"] == {moment[:10]: data["xp"]} and data["streak"] == 1
    bundle = json.loads((tmp_path / "bundle.json").read_text())
    assert {r["event"]["date"] for r in bundle["events"]} == {moment[:10]}


def _store_events_at_the_edges(ws: Path) -> None:
    """Events dated year 1 and 9999, as versions that took any QUEST_NOW (or an edited file) left them."""
    from ugrad_quest.store import progress as rows
    from ugrad_quest.store.db import Store
    from ugrad_quest import paths

    store = Store.open(paths.db_path())
    with store.session() as s:
        for moment in (dt.datetime(1, 1, 1, tzinfo=dt.timezone.utc),
                       dt.datetime(9999, 12, 31, 23, 59, 59, tzinfo=dt.timezone.utc)):
            day = moment.date()
            attempt = rows.add_attempt(s, "basics", str(ws), "ugrad", moment, day, 5, False, [("data", "failed", 1, "")])
            rows.reveal_hint(s, "basics", "data", day.year, moment, day)
            rows.add_quiz_answer(s, "basics", "q3", "0", False, moment, day)
            rows.add_award(s, "quiz", "basics", f"edge-{day.year}", 10, "an answer at the edge", moment, day, attempt)
            rows.add_award(s, "badge", "", f"edge-{day.year}", 0, "a badge at the edge", moment, day, attempt)
    store.close()


@pytest.mark.parametrize("moment", [None, "1970-01-01T00:00:00", "9998-12-31T23:59:59"],
                         ids=["wall-clock", "first-day", "last-day"])
def test_events_stored_at_year_1_and_9999_break_no_later_command(workspace, cli, tmp_path, monkeypatch, moment):
    _store_events_at_the_edges(workspace)
    if moment:
        monkeypatch.setenv("QUEST_NOW", moment)
    for args in _every_command(tmp_path):
        result = cli(*args, cwd=workspace)
        assert result.exit_code == 0, (args, result.stderr)
    # The bundle holds those dates too: verify reports on them (a finding at most), it does not crash.
    assert cli("verify", str(tmp_path / "bundle.json"), "--json").exit_code in (0, 1)
    data = json.loads(cli("profile", "--json").stdout)
    assert data["xp"] >= 20 and data["longest_streak"] >= 1
    assert "0001-01-01" not in data["heatmap"] and "9999-12-31" not in data["heatmap"]
    log = cli("log").stdout
    assert "an answer at the edge" in log


# --- the progress database: deleted, unreadable, read-only, a folder, locked, damaged -------------

@pytest.mark.parametrize("how", ["deleted", "moved"])
def test_a_database_deleted_or_moved_during_a_check_is_named_and_nothing_is_recorded(
        workspace, cli, quest_home, tmp_path, monkeypatch, how):
    from ugrad_quest.services.context import Context

    db = _db(quest_home)
    attempts = _count(db, "attempt")
    aside = tmp_path / "aside.sqlite3"
    shutil.copyfile(db, aside)
    opened = Context.open_store

    def open_then_lose(self):
        store = opened(self)  # the check opens its store while the suite runs; then the file goes
        db.rename(aside) if how == "moved" else db.unlink()
        return store

    monkeypatch.setattr(Context, "open_store", open_then_lose)
    result = cli("check", cwd=workspace)
    assert result.exit_code == 2
    assert result.stderr == (f"Error: The progress database {db} was deleted or moved while this command was using "
                             "it, so nothing was recorded; put it back, or run the command again to start a new one.\n")
    assert not db.exists() and _count(aside, "attempt") == attempts
    assert "permission" not in result.stderr


def _without_root_powers(*args: str, cwd: Path) -> subprocess.CompletedProcess:
    """`quest ...` as a process that file permissions apply to: as root, without CAP_DAC_OVERRIDE."""
    if os.geteuid() != 0:
        return quest_command(*args, cwd=cwd)
    if shutil.which("setpriv") is None:
        pytest.skip("running as root and setpriv (util-linux) is not here to drop CAP_DAC_OVERRIDE")
    return subprocess.run(["setpriv", "--bounding-set=-dac_override,-dac_read_search", sys.executable,
                           "-m", "ugrad_quest", *args], cwd=cwd, capture_output=True, text=True, timeout=180)


QUIZ = ("quiz", "basics", "--question", "q2", "--answer", "3")


@pytest.mark.parametrize("case", ["unreadable file", "unsearchable folder", "read-only file", "read-only folder"])
def test_permission_problems_say_which_one_it_is(workspace, quest_home, case):
    db = _db(quest_home)
    target, mode = {"unreadable file": (db, 0o000), "unsearchable folder": (quest_home, 0o000),
                    "read-only file": (db, 0o444), "read-only folder": (quest_home, 0o555)}[case]
    target.chmod(mode)
    try:
        before = db.read_bytes() if case != "unsearchable folder" else None
        unreadable = (f"Error: The progress database {db} cannot be read (permission denied on it or its folder); "
                      "give yourself access or set QUEST_HOME to another folder (nothing was changed).\n")
        expected = {
            "unreadable file": unreadable, "unsearchable folder": unreadable,
            "read-only file": (f"Error: The progress database {db} is read-only, so nothing was recorded; "
                               "make it writable or set QUEST_HOME to another folder.\n"),
            "read-only folder": (f"Error: The folder {quest_home} that holds the progress database is read-only, so "
                                 "nothing was recorded; make it writable or set QUEST_HOME to another folder.\n"),
        }[case]
        readable = case.startswith("read-only")
        for args in (QUIZ, ("profile", "--json"), ("list",)):
            result = _without_root_powers(*args, cwd=workspace)
            if readable and args != QUIZ:  # reading is all these need
                assert result.returncode == 0, (args, result.stderr)
                continue
            assert (result.returncode, result.stderr) == (2, expected), args
    finally:
        target.chmod(0o755 if target == quest_home else 0o644)
    assert before is None or db.read_bytes() == before
    assert _count(db, "quiz_answer") == 0


def test_a_database_that_is_a_folder_is_named_as_one(workspace, cli, quest_home):
    db = _db(quest_home)
    db.unlink()
    db.mkdir()
    (db / "keep.txt").write_text("mine")
    for args in (("check",), ("profile",), ("list",), QUIZ, ("log",)):
        result = cli(*args, cwd=workspace)
        assert (result.exit_code, result.stderr) == (2, f"Error: The progress database {db} is a folder, not a file; "
                                                        "move it aside or set QUEST_HOME to another folder "
                                                        "(nothing was changed).\n"), args
    assert snapshot(quest_home) == {"progress.sqlite3/keep.txt": b"mine"}


def test_a_quest_home_that_is_a_file_is_named_as_one(course, cli, tmp_path, monkeypatch):
    home = tmp_path / "home"
    home.write_text("my notes")
    monkeypatch.setenv("QUEST_HOME", str(home))
    for args in (("profile",), QUIZ, ("start", "basics", "--dir", str(tmp_path / "ws"))):
        result = cli(*args, cwd=tmp_path)
        assert (result.exit_code, result.stderr) == (2, f"Error: The data folder {home} (QUEST_HOME) is a file, not a "
                                                        "folder; move it aside or set QUEST_HOME to a folder "
                                                        "(nothing was changed).\n"), args
    assert cli("list").exit_code == 0  # nothing recorded yet: every quest as it starts
    assert home.read_text() == "my notes" and not (tmp_path / "ws").exists()


def test_a_database_locked_by_another_program_for_long_says_so_and_records_nothing(workspace, cli, quest_home,
                                                                                    monkeypatch):
    from ugrad_quest.store import db as store_db

    monkeypatch.setattr(store_db, "BUSY_TIMEOUT_SECONDS", 0.3)
    db = _db(quest_home)
    holder = sqlite3.connect(db, isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")  # e.g. a database browser in the middle of a write
    try:
        for args in (QUIZ, ("check",)):  # tests/test_cli.py has profile
            result = cli(*args, cwd=workspace)
            assert (result.exit_code, result.stderr) == (
                2, f"Error: The progress database {db} is locked by another quest command or another program that "
                   "has it open; try again when it has finished (nothing was changed).\n"), args
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert (_count(db, "quiz_answer"), _count(db, "attempt")) == (0, 1)


@pytest.mark.parametrize("damage", ["garbage", "truncated", "another program's"])
def test_a_damaged_database_is_refused_by_every_command_and_left_untouched(workspace, cli, quest_home, damage):
    db = _db(quest_home)
    data = db.read_bytes()
    if damage == "another program's":  # SQLite, but not ours: our tables must not be added to it
        db.unlink()
        conn = sqlite3.connect(db)
        with conn:
            conn.execute("CREATE TABLE photos (id INTEGER PRIMARY KEY, path VARCHAR)")
        conn.close()
    else:
        db.write_bytes(b"not a database at all" * 300 if damage == "garbage"
                       else data[:100] + b"\x00" * 50 + b"garbage" * 600)
    before = _home_files(quest_home)
    for args in (("check",), ("profile",), ("list",), QUIZ, ("log",), ("badges",)):
        result = cli(*args, cwd=workspace)
        assert (result.exit_code, result.stderr) == (2, f"Error: The progress database {db} is damaged or is not a "
                                                        "ugrad-quest database; move it aside to start a new one "
                                                        "(it was left untouched).\n"), args
    assert _home_files(quest_home) == before


# --- a database from a newer version of the tool --------------------------------------------------

NEWER = [("a recorded version", "0.9.0", f"was written by ugrad-quest 0.9.0, newer than this {ugrad_quest.__version__}"),
         ("no recorded version", None, "was written by a newer ugrad-quest (it records m099_tensors, which "
                                       f"{ugrad_quest.__version__} does not know)")]


@pytest.mark.parametrize("version, by", [(v, b) for _, v, b in NEWER], ids=[n for n, _, _ in NEWER])
def test_a_database_from_a_newer_version_is_refused_and_left_byte_identical(workspace, cli, quest_home, tmp_path,
                                                                           version, by):
    db = _db(quest_home)
    conn = sqlite3.connect(db)
    with conn:  # what a newer ugrad-quest's next migration would have done
        conn.execute("ALTER TABLE attempt ADD COLUMN device VARCHAR")
        conn.execute("INSERT INTO _migrations VALUES ('m099_tensors', '2027-01-01T00:00:00+00:00', ?)", (version,))
    conn.close()
    before = _home_files(quest_home)
    expected = f"Error: The progress database {db} {by}; upgrade ugrad-quest to use it (it was left untouched).\n"
    for args in _every_command(tmp_path) + [("list",)]:
        result = cli(*args, cwd=workspace)
        assert (result.exit_code, result.stderr) == (2, expected), args
    assert _home_files(quest_home) == before


def test_a_table_with_a_changed_column_is_refused_and_left_byte_identical(workspace, cli, quest_home):
    db = _db(quest_home)
    conn = sqlite3.connect(db)
    with conn:
        conn.execute("ALTER TABLE xp_award RENAME COLUMN review TO summary")
    conn.close()
    before = _home_files(quest_home)
    for args in (("check",), ("profile",), QUIZ, ("log",)):
        result = cli(*args, cwd=workspace)
        assert (result.exit_code, result.stderr) == (
            2, f"Error: The progress database {db} has tables this version of ugrad-quest does not know (xp_award has "
               "no column review), probably from a newer version; upgrade ugrad-quest to use it "
               "(it was left untouched).\n"), args
    assert _home_files(quest_home) == before


def test_this_version_records_itself_with_each_migration(cli, quest_home, course):
    assert cli("badges").exit_code == 0
    conn = sqlite3.connect(_db(quest_home))
    versions = {r[0] for r in conn.execute("SELECT tool_version FROM _migrations")}
    conn.close()
    assert versions == {ugrad_quest.__version__}


# --- quest.yaml: numbers out of range, a quest folder without its quest.yaml -------------------------

def test_a_timeout_of_1e300_is_the_quest_files_error_not_the_learners(workspace, cli, quest_home, tmp_path,
                                                                      monkeypatch):
    course = tmp_path / "course"
    shutil.copytree(COURSE, course)
    yaml_file = course / "basics" / "quest.yaml"
    yaml_file.write_text(yaml_file.read_text().replace("timeout: 5\n", "timeout: 1.0e+300\n", 1))
    monkeypatch.setenv("QUEST_QUESTS_DIR", str(course))
    before = _home_files(quest_home)
    for args in (("check",), ("list",), ("hint",)):
        result = cli(*args, cwd=workspace)
        assert (result.exit_code, result.stderr) == (
            2, f"Error: {yaml_file}: tasks[0].timeout must be between 0.1 and 3600 seconds, got 1e+300\n"), args
        assert "OverflowError" not in result.stdout
    assert _home_files(quest_home) == before


def test_a_quest_folder_without_quest_yaml_is_named_with_the_missing_file(cli, tmp_path, monkeypatch):
    course = tmp_path / "course"
    shutil.copytree(COURSE, course)
    (course / "foo" / "hidden").mkdir(parents=True)
    (course / "foo" / "hidden" / "test_foo.py").write_text("def test_x(): pass\n")
    (course / "notes").mkdir()  # a folder with no quest's parts is not a quest: left alone
    monkeypatch.setenv("QUEST_QUESTS_DIR", str(course))
    for args in (("list",), ("start", "foo", "--dir", str(tmp_path / "ws")), ("start", "basics", "--dir", str(tmp_path / "ws"))):
        result = cli(*args, cwd=tmp_path)
        assert (result.exit_code, result.stderr) == (
            2, f"Error: {course / 'foo' / 'quest.yaml'}: does not exist, but the folder 'foo' holds a quest's hidden/; "
               f"write its quest.yaml or move the folder out of {course}\n"), args
    assert not (tmp_path / "ws").exists()


def test_a_disk_error_while_writing_says_so_and_records_nothing(workspace, quest_home):
    import resource
    import signal

    def small_files():  # a file size limit: the journal cannot be written, as on a full or failing disk
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (2048, 2048))

    db = _db(quest_home)
    before = _home_files(quest_home)
    result = subprocess.run([sys.executable, "-m", "ugrad_quest", *QUIZ], cwd=workspace, capture_output=True,
                            text=True, timeout=180, preexec_fn=small_files)
    assert (result.returncode, result.stderr) == (
        2, f"Error: Writing the progress database {db} failed with a disk error, so nothing was recorded; check that "
           "its disk has space and works (a file size limit counts too), then run the command again.\n")
    assert _home_files(quest_home) == before
