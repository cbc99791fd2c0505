"""The ledger's pure parts: the hash chain's diagnoses, snapshots, and where checks keep them."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, write_engine
from ugrad_quest.ledger import chain
from ugrad_quest.ledger import snapshot as snap


def _events(n: int) -> list[dict]:
    return [{"type": "quiz", "quest": "q", "question": f"q{i}", "answer": "1", "correct": True} for i in range(1, n + 1)]


def _messages(records, head=None, count=None) -> list[str]:
    return [f.message for f in chain.check(records, head, count)]


def test_an_untouched_chain_has_no_findings_and_each_hash_covers_the_one_before():
    records = chain.build(_events(5))
    assert chain.check(records, records[-1]["hash"], 5) == []
    assert [r["event"]["seq"] for r in records] == [1, 2, 3, 4, 5]
    assert records[0]["prev"] == chain.GENESIS
    assert all(b["prev"] == a["hash"] for a, b in zip(records, records[1:]))
    assert len({r["hash"] for r in records}) == 5


def test_the_hash_covers_the_snapshot_digest():
    event = {"type": "check", "quest": "q", "snapshot": "a" * 64, "seq": 1}
    assert chain.link(chain.GENESIS, event) != chain.link(chain.GENESIS, {**event, "snapshot": "b" * 64})


def test_an_edited_event_is_named():
    records = chain.build(_events(4))
    records[2]["event"]["answer"] = "2"
    assert _messages(records, records[-1]["hash"], 4) == [
        "event #3 (quiz answer to q/q3) was edited: it no longer matches its hash"]


def test_an_edited_event_given_a_new_hash_is_named_by_its_successor():
    records = chain.build(_events(4))
    records[1]["event"]["answer"] = "2"
    records[1]["hash"] = chain.link(records[1]["prev"], records[1]["event"])
    assert _messages(records, records[-1]["hash"], 4) == [
        "event #2 (quiz answer to q/q2) was edited and given a new hash: event #3 still points to its old one"]


@pytest.mark.parametrize("gone", [1, 3, 5])
def test_a_removed_event_is_named_wherever_it_was(gone):
    records = chain.build(_events(5))
    head = records[-1]["hash"]
    del records[gone - 1]
    assert f"event #{gone} was removed from the log" in _messages(records, head, 5)


def test_a_cut_tail_with_an_edited_count_is_caught_by_the_head():
    records = chain.build(_events(5))
    head = records[-1]["hash"]
    assert _messages(records[:4], head, 4) == [
        "the log does not end at the head hash it declares: events were removed from its end"]


def test_reordered_events_are_named():
    records = chain.build(_events(5))
    records[1], records[3] = records[3], records[1]
    messages = _messages(records, None, 5)
    assert "event #2 was moved: it comes after event #3" in messages


@pytest.mark.parametrize("value", [None, 5, 1.5, True, "x" * 500, [], [1, [2]], {"a": {"b": 1}}])
@pytest.mark.parametrize("kind", ["start", "check", "hint", "quiz", "xp", "other"])
def test_an_edited_event_of_any_shape_is_named_not_raised(kind, value):
    event = {"type": kind, **{k: value for k in ("quest", "completed", "hint", "task", "question", "kind",
                                                  "subject", "xp")}}
    records = chain.build([event])
    records[0]["event"]["at"] = "edited"
    (message,) = _messages(records)
    assert message.startswith("event #1 (") and message.endswith(") was edited: it no longer matches its hash")
    assert len(message) < 400  # a mangled field is named short, not pasted whole


def test_a_huge_count_names_the_missing_run_once():
    records = chain.build(_events(3))
    assert _messages(records, None, 10**50) == [f"events #4 to #{10**50} were removed from the log"]
    del records[1]
    assert _messages(records, None, 3) == ["event #2 was removed from the log"]


def test_a_record_that_is_not_one_is_reported_not_raised():
    records = chain.build(_events(2))
    records[1] = "garbage"
    assert _messages(records) == ["record 2 of the event log is not an event record"]


# --- snapshots -----------------------------------------------------------------------------------

def test_a_snapshot_is_the_packages_python_files_and_round_trips_exactly(tmp_path: Path):
    write_engine(tmp_path, "x = 1\n")
    (tmp_path / "ugrad" / "sub").mkdir()
    (tmp_path / "ugrad" / "sub" / "deep.py").write_bytes(b"s = '\xff\xfe not utf-8'\n")
    (tmp_path / "ugrad" / "__pycache__").mkdir()
    (tmp_path / "ugrad" / "__pycache__" / "engine.cpython-311.py").write_text("cached")
    (tmp_path / "ugrad" / "notes.txt").write_text("not source")
    (tmp_path / "other.py").write_text("outside the package")
    files = snap.capture(tmp_path, "ugrad").files
    assert sorted(files) == ["ugrad/__init__.py", "ugrad/engine.py", "ugrad/sub/deep.py"]
    out = tmp_path / "out"
    snap.write(snap.decode(snap.encode(files)), out)
    for name in files:
        assert (out / name).read_bytes() == (tmp_path / name).read_bytes()
    assert snap.digest(files) == snap.digest(dict(reversed(list(files.items()))))  # order does not matter


def test_no_package_or_a_huge_one_gives_no_snapshot_and_says_why(tmp_path: Path, monkeypatch):
    assert snap.capture(tmp_path, "ugrad") == snap.Capture(None, snap.NOT_FOUND)
    write_engine(tmp_path, "x = 1\n" * 100)
    monkeypatch.setattr(snap, "MAX_BYTES", 100)
    assert snap.capture(tmp_path, "ugrad") == snap.Capture(None, snap.TOO_LARGE, 600)


@pytest.mark.parametrize("name", ["/etc/passwd", "../escape.py", "ugrad/../../x.py", "C:\\x.py", ""])
def test_paths_that_would_escape_the_folder_are_refused(name):
    assert [p.split(" (")[0] for p in snap.problems({name: "", "ugrad/engine.py": ""})] == [name]


def test_a_check_keeps_the_code_it_ran_on_only_when_it_completes_a_task(course, cli, tmp_path, quest_home):
    ws = tmp_path / "ws"
    cli("start", "basics", "--dir", str(ws))
    cli("check", cwd=ws)  # the stub: nothing passes, nothing kept
    write_engine(ws, BASICS_ENGINE)
    cli("check", cwd=ws)  # completes tasks: kept
    cli("check", cwd=ws)  # completes nothing new: not kept
    conn = sqlite3.connect(quest_home / "progress.sqlite3")
    kept = [row[0] for row in conn.execute("SELECT snapshot FROM attempt ORDER BY id")]
    assert kept[0] is None and kept[1] is not None and kept[2] is None
    stored = dict(conn.execute("SELECT digest, files FROM snapshot").fetchall())
    assert list(stored) == [kept[1]]
    assert snap.decode(stored[kept[1]])["ugrad/engine.py"] == BASICS_ENGINE


def test_an_installed_package_is_snapshotted_from_where_it_is_imported(tmp_path: Path, monkeypatch):
    site = tmp_path / "site"
    write_engine(site, "y = 2\n", package="installed_engine_pkg")
    monkeypatch.syspath_prepend(str(site))
    files = snap.capture(tmp_path / "workspace", "installed_engine_pkg").files
    assert files == {"installed_engine_pkg/__init__.py": "", "installed_engine_pkg/engine.py": "y = 2\n"}
    assert "installed_engine_pkg" not in __import__("sys").modules  # located, never imported


# --- badges re-derived from the events (the audit) -------------------------------------------------

def _value_history(*later: dict) -> list[dict]:
    """Day 1: a check completes value/more-ops (its task XP, then First Spark); day 2: a quiz answer and its XP;
    then the events given. Numbered 1..n, as export numbers them."""
    from ugrad_quest.rules import awards

    quest = _catalog().get("value")
    question = quest.quiz[0]
    events = [
        {"type": "check", "quest": "value", "at": "2026-03-01T10:00:00", "date": "2026-03-01", "package": "ugrad",
         "passed": False, "tasks": {"more-ops": "passed", "add-mul": "failed"}, "completed": ["more-ops"]},
        _xp("task", "value", "more-ops", quest.task("more-ops").xp, "2026-03-01", check=1),
        _xp("badge", "", "first-pass", 10, "2026-03-01", check=1),
        {"type": "quiz", "quest": "value", "question": question.id, "answer": str(question.answer), "correct": True,
         "at": "2026-03-02T10:00:00", "date": "2026-03-02"},
        _xp("quiz", "value", question.id, awards.quiz_xp(question, 0), "2026-03-02"),
    ]
    return [{**e, "seq": seq} for seq, e in enumerate(events + list(later), start=1)]


def _xp(kind: str, quest: str, subject: str, xp: int, date: str, check: int | None = None) -> dict:
    return {"type": "xp", "kind": kind, "quest": quest, "subject": subject, "xp": xp, "review": "",
            "at": f"{date}T10:00:00", "date": date, "check": check}


def _catalog():
    from ugrad_quest import paths
    from ugrad_quest.catalog import load_catalog

    return load_catalog(paths.quests_dir())


def _audit(events: list[dict]) -> list[str]:
    from ugrad_quest.ledger.audit import audit_xp

    return [f.message for f in audit_xp(events, _catalog())]


def test_badges_awarded_together_are_judged_by_the_facts_before_the_first_of_them():
    # On day 3 nothing earned XP: Clean Shot's own XP day must not lend Warm Gradient a third day of streak,
    # as the store evaluates every rule once before it awards any of them.
    events = _value_history(_xp("badge", "", "first-try", 25, "2026-03-03"),
                            _xp("badge", "", "streak-3", 10, "2026-03-03"))
    assert _audit(events) == ["event #7 (badge Warm Gradient) awards a badge the events before it do not earn: "
                              "the longest run of days with XP is 2, not 3"]


def test_a_day_whose_only_xp_is_a_badge_counts_for_the_streak_as_the_store_counts_it():
    # Day 3's only XP is a badge (say one a newer version added, awarded on the next check that earned nothing):
    # the store's XP per day counts it, so a quiz answer on day 4 makes 4 days in a row and earns Warm Gradient.
    from ugrad_quest.rules import awards

    question = _catalog().get("value").quiz[1]

    later = [_xp("badge", "", "first-try", 25, "2026-03-03"),
             {"type": "quiz", "quest": "value", "question": question.id, "answer": str(question.answer),
              "correct": True, "at": "2026-03-04T09:00:00", "date": "2026-03-04"},
             _xp("quiz", "value", question.id, awards.quiz_xp(question, 0), "2026-03-04"),
             _xp("badge", "", "streak-3", 10, "2026-03-04")]
    assert _audit(_value_history(*later)) == []
    # Without day 3's badge, the streak breaks there: Warm Gradient is not earned.
    assert _audit(_value_history(*later[1:])) == [
        "event #8 (badge Warm Gradient) awards a badge the events before it do not earn: "
        "the longest run of days with XP is 2, not 3"]


def test_a_badge_with_no_readable_date_is_reported_not_raised():
    events = _value_history({**_xp("badge", "", "first-try", 25, "2026-03-03"), "date": ["not", "a", "date"]})
    assert _audit(events) == ["event #6 (badge Clean Shot) has no date to count its streak to"]
