"""quest export / quest verify, end to end: a learner completes `value`, exports, and a stranger verifies.

The bundle is made once per module through the real CLI in subprocesses (its own QUEST_HOME); each test
then verifies it, or a tampered copy, in-process with the autouse fresh QUEST_HOME, as a verifier would.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path

import pytest

from conftest import FIXTURES, quest_command, snapshot
from ugrad_quest.ledger import chain
from ugrad_quest.ledger import snapshot as snap

BUGGY = FIXTURES / "engines" / "overwrite_grad"  # passes more-ops, relu, tanh-exp; fails add-mul and on
CORRECT = FIXTURES / "engines" / "iterative_slots"


@dataclass(frozen=True)
class Learner:
    home: Path
    """The learner's QUEST_HOME: the store the bundle was exported from."""
    bundle: dict


@pytest.fixture(scope="module")
def exported(learner) -> dict:
    return learner.bundle


@pytest.fixture(scope="module")
def learner(tmp_path_factory) -> Learner:
    """A learner's bundle: value completed over two days, with a hint and a quiz answer on the way."""
    root = tmp_path_factory.mktemp("learner")
    env = {"QUEST_HOME": str(root / "home"), "TZ": "Europe/Berlin"}

    def run(moment: str, *args: str, cwd: Path = root / "ws"):
        result = quest_command(*args, cwd=cwd, env={**env, "QUEST_NOW": moment})
        assert result.returncode in (0, 1), result.stderr
        return result

    run("2026-11-19T09:00", "start", "value", "--dir", "ws", cwd=root)
    run("2026-11-19T09:05", "config", "name", "Ada")
    run("2026-11-19T09:10", "hint", "add-mul", "--yes")
    shutil.copy(BUGGY / "ugrad" / "engine.py", root / "ws" / "ugrad" / "engine.py")
    assert run("2026-11-19T10:00", "check").returncode == 1
    run("2026-11-19T11:00", "quiz", "value", "--question", "tanh-slope", "--answer", "0.7864")
    shutil.copy(CORRECT / "ugrad" / "engine.py", root / "ws" / "ugrad" / "engine.py")
    assert run("2026-11-20T10:00", "check").returncode == 0
    out = run("2026-11-20T12:00", "export", str(root / "ada.json"))
    assert out.returncode == 0, out.stderr
    return Learner(root / "home", json.loads((root / "ada.json").read_text(encoding="utf-8")))


def _write(tmp_path: Path, bundle: dict, name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(bundle, indent=1), encoding="utf-8")
    return path


def _verify(cli, path: Path) -> tuple[int, dict]:
    result = cli("verify", str(path), "--json")
    return result.exit_code, json.loads(result.stdout)


def _events(bundle: dict) -> list[dict]:
    return [r["event"] for r in bundle["events"]]


def _seq(bundle: dict, **match) -> int:
    return next(e["seq"] for e in _events(bundle) if all(e.get(k) == v for k, v in match.items()))


def _rechain(bundle: dict, events: list[dict]) -> None:
    """What a careful forger does after editing: rebuild every hash so the chain is whole again."""
    bundle["events"] = chain.build([{k: v for k, v in e.items() if k != "seq"} for e in events])
    bundle["head"], bundle["count"] = bundle["events"][-1]["hash"], len(events)


def _kinds(report: dict) -> list[tuple[str, int | None]]:
    return [(f["kind"], f["event"]) for f in report["findings"]]


# --- the honest path -----------------------------------------------------------------------------

def test_a_completed_quest_exports_and_every_claim_is_confirmed_on_a_fresh_home(exported, cli, tmp_path, quest_home):
    path = _write(tmp_path, exported)
    result = cli("verify", str(path))
    assert result.exit_code == 0, result.stdout
    text = " ".join(result.stdout.split())  # rich wraps at the terminal's width
    assert "Verified: the chain is intact, every XP award follows the rules, and all 6 claimed tasks passed again." \
        in text
    # Every command of this history ran with QUEST_NOW: the report says so, and it is a note, not a finding.
    n = exported["count"]
    assert f"Note: {n} of {n} events were recorded with QUEST_NOW set (a clock set by hand): their dates and " \
           "streaks show when they were claimed to happen, not when they happened." in text
    for task in ("add-mul", "more-ops", "relu", "tanh-exp", "backprop", "deep-graphs"):
        assert f"✓  value/{task}" in result.stdout
    # Progress goes to stderr, one line per re-run check, so a long verify is never silent.
    assert "re-running check #" in result.stderr and "1/2" in result.stderr and "2/2" in result.stderr
    code, report = _verify(cli, path)
    assert code == 0 and report["verified"] is True and report["findings"] == []
    assert report["trainer"] == "Ada" and report["xp"] == exported["summary"]["xp"]
    assert report["notes"] == [f"{n} of {n} events were recorded with QUEST_NOW set (a clock set by hand): their "
                               "dates and streaks show when they were claimed to happen, not when they happened"]
    assert sorted((c["task"], c["status"]) for c in report["claims"]) == sorted(
        (t, "confirmed") for t in ("add-mul", "more-ops", "relu", "tanh-exp", "backprop", "deep-graphs"))
    # The verifier's own progress is untouched: verifying created no database at all.
    assert list(quest_home.iterdir()) == []


def test_the_bundle_holds_the_log_and_the_code_of_each_task_completing_check(exported):
    events = _events(exported)
    assert [e["type"] for e in events].count("check") == 2
    assert {e["type"] for e in events} == {"start", "hint", "check", "quiz", "xp"}
    checks = [e for e in events if e["type"] == "check"]
    assert checks[0]["completed"] == ["more-ops", "relu", "tanh-exp"]
    assert sorted(checks[1]["completed"]) == ["add-mul", "backprop", "deep-graphs"]
    for check in checks:
        files = exported["snapshots"][check["snapshot"]]
        assert snap.digest(files) == check["snapshot"]
        assert set(files) == {"ugrad/__init__.py", "ugrad/engine.py"}
    # The first snapshot is the buggy engine as it was checked, not the code on disk at export time.
    assert files_of(exported, checks[0]) == (BUGGY / "ugrad" / "engine.py").read_text(encoding="utf-8")
    assert files_of(exported, checks[1]) == (CORRECT / "ugrad" / "engine.py").read_text(encoding="utf-8")
    assert exported["head"] == exported["events"][-1]["hash"] and exported["count"] == len(events)
    # Paid hint: add-mul earned less than its full XP, and the log says so.
    add_mul = next(e for e in events if e["type"] == "xp" and e["subject"] == "add-mul")
    assert add_mul["xp"] < 50 and "hint" in add_mul["review"]


def files_of(bundle: dict, check: dict) -> str:
    return bundle["snapshots"][check["snapshot"]]["ugrad/engine.py"]


def test_the_verifiers_own_progress_is_left_exactly_as_it_was(exported, cli, tmp_path, quest_home, monkeypatch):
    monkeypatch.setenv("QUEST_NOW", "2026-11-21T09:00")
    cli("quiz", "value", "--question", "reused-input", "--answer", "-1")
    before = snapshot(quest_home)
    assert before  # the verifier has a database of their own
    assert _verify(cli, _write(tmp_path, exported))[0] == 0
    assert snapshot(quest_home) == before


# --- tampering: each case detected and named -------------------------------------------------------

def test_edited_xp_is_named_by_the_chain_and_by_the_rules(exported, cli, tmp_path):
    bundle = copy.deepcopy(exported)
    seq = _seq(bundle, type="xp", kind="task", subject="add-mul")
    record = bundle["events"][seq - 1]
    record["event"]["xp"] = 500
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1 and report["verified"] is False
    assert ("edited", seq) in _kinds(report) and ("xp", seq) in _kinds(report)
    messages = " ".join(f["message"] for f in report["findings"])
    assert f"event #{seq} (task XP for value/add-mul (500 XP)) was edited: it no longer matches its hash" in messages
    assert ("claims 500 XP, but the rules give 40 after the events before it: its XP or an earlier event was "
            "changed") in messages
    # The claims themselves still hold: the code passed. Only the XP is a lie.
    assert all(c["status"] == "confirmed" for c in report["claims"])


def test_edited_xp_is_caught_even_when_the_forger_rebuilds_the_whole_chain(exported, cli, tmp_path):
    bundle = copy.deepcopy(exported)
    events = _events(bundle)
    seq = _seq(bundle, type="xp", kind="quest")
    events[seq - 1]["xp"] += 1000
    bundle["summary"]["xp"] += 1000
    _rechain(bundle, events)
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    assert _kinds(report) == [("xp", seq)]
    assert f"claims {events[seq - 1]['xp']} XP, but the rules give" in report["findings"][0]["message"]


def test_an_edited_summary_is_named(exported, cli, tmp_path):
    bundle = copy.deepcopy(exported)
    bundle["summary"]["xp"] = 99999
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    assert [f["message"] for f in report["findings"]] == [
        f"the bundle's summary says 99999 XP, but its events add up to {exported['summary']['xp']}: "
        "one of the two was edited"]


def test_a_removed_event_is_named(exported, cli, tmp_path):
    bundle = copy.deepcopy(exported)
    seq = _seq(bundle, type="hint")  # hiding the paid hint would make the discount look unearned
    del bundle["events"][seq - 1]
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    assert ("removed", seq) in _kinds(report)
    assert f"event #{seq} was removed from the log" in [f["message"] for f in report["findings"]]
    # Without the hint, add-mul's discounted XP no longer follows from the events: named too.
    add_mul = _seq(exported, type="xp", kind="task", subject="add-mul")
    assert ("xp", add_mul) in _kinds(report)


def test_a_removed_last_event_is_named(exported, cli, tmp_path):
    bundle = copy.deepcopy(exported)
    bundle["events"].pop()
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    assert ("removed", exported["count"]) in _kinds(report)


def test_reordered_events_are_named(exported, cli, tmp_path):
    bundle = copy.deepcopy(exported)
    first, second = _seq(bundle, type="hint"), _seq(bundle, type="check")
    records = bundle["events"]
    records[first - 1], records[second - 1] = records[second - 1], records[first - 1]
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    assert "reordered" in [k for k, _ in _kinds(report)]
    assert any(f"event #{first} was moved" in f["message"] for f in report["findings"])


def test_changed_snapshot_code_is_named_and_its_claims_are_not_confirmed(exported, cli, tmp_path):
    bundle = copy.deepcopy(exported)
    check = _events(bundle)[_seq(bundle, type="check", passed=False) - 1]
    files = bundle["snapshots"][check["snapshot"]]
    files["ugrad/engine.py"] = files["ugrad/engine.py"].replace("=", "= ", 1)
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    assert ("snapshot-changed", check["seq"]) in _kinds(report)
    assert any(f"the code of the snapshot of check #{check['seq']} was changed" in f["message"]
               for f in report["findings"])
    statuses = {c["task"]: (c["status"], c["detail"]) for c in report["claims"]}
    for task in check["completed"]:
        assert statuses[task] == ("not confirmed", "its snapshot's code was changed after the check")
    assert statuses["add-mul"][0] == "confirmed"  # the other check's claims stand


def test_a_snapshot_swapped_for_one_that_fails_is_caught_by_re_running_it(exported, cli, tmp_path):
    """The forger points the completing check at the buggy code and rebuilds the chain: only the re-run can tell."""
    bundle = copy.deepcopy(exported)
    events = _events(bundle)
    buggy = next(e for e in events if e["type"] == "check" and not e["passed"])
    good = next(e for e in events if e["type"] == "check" and e["passed"])
    good["snapshot"] = buggy["snapshot"]
    del bundle["snapshots"][[d for d in bundle["snapshots"] if d != buggy["snapshot"]][0]]
    _rechain(bundle, events)
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    assert {k for k, _ in _kinds(report)} == {"not-confirmed"}
    failing = {c["task"]: c["detail"] for c in report["claims"] if c["status"] != "confirmed"}
    assert set(failing) == {"add-mul", "backprop", "deep-graphs"}
    assert failing["add-mul"].startswith("fails on its snapshot: ")
    assert "must accumulate" in failing["add-mul"]
    text = cli("verify", str(_write(tmp_path, bundle, "swapped.json"))).stdout
    assert "✗  value/add-mul" in text and "NOT verified" in text


def test_a_swapped_snapshot_without_a_rebuilt_chain_is_named_twice(exported, cli, tmp_path):
    bundle = copy.deepcopy(exported)
    records = bundle["events"]
    buggy = next(r["event"] for r in records if r["event"]["type"] == "check" and not r["event"]["passed"])
    good = next(r["event"] for r in records if r["event"]["type"] == "check" and r["event"]["passed"])
    good["snapshot"] = buggy["snapshot"]
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    assert ("edited", good["seq"]) in _kinds(report) and ("not-confirmed", good["seq"]) in _kinds(report)


# --- badges: each re-derived from the events before it ---------------------------------------------

def _catalog():
    from ugrad_quest import paths
    from ugrad_quest.catalog import load_catalog

    return load_catalog(paths.quests_dir())


def _badge_rules() -> dict:
    from ugrad_quest.rules.badges import all_badges

    return {b.id: b for b in all_badges(_catalog())}


def _assert_badges_follow_from_the_events_as_the_store_derived_them(home: Path, bundle: dict) -> None:
    """The audit's Facts (from the events) and the store's (from SQL) must not drift apart."""
    from ugrad_quest.ledger.facts import badge_facts, facts_from_events
    from ugrad_quest.services import awarding
    from ugrad_quest.store import progress as rows
    from ugrad_quest.store.db import Store

    events, rules = _events(bundle), _badge_rules()
    judged = list(badge_facts(events))
    assert judged, "the history earns no badge: nothing would be compared"
    for event, facts in judged:  # each award, on the facts of the events before it
        assert facts is not None and rules[event["subject"]].rule(facts), (event, facts)
    today = dt.date.fromisoformat(events[-1]["date"])
    store = Store.open(home / "progress.sqlite3")
    try:
        with store.session() as session:
            stored, awarded = awarding.facts(session, today), set(rows.earned_badges(session))
    finally:
        store.close()
    derived = facts_from_events(events, today)
    assert derived == stored
    assert {b.id for b in rules.values() if b.rule(derived)} == awarded == {e["subject"] for e, _ in judged}


def test_the_badges_the_events_earn_are_exactly_the_ones_the_store_awarded(learner):
    _assert_badges_follow_from_the_events_as_the_store_derived_them(learner.home, learner.bundle)
    assert [e["subject"] for e in _events(learner.bundle) if e.get("kind") == "badge"] == [
        "first-pass", "first-try", "value-deep-graphs", "value-complete"]


def test_a_streak_badge_follows_from_the_days_of_the_events_as_the_store_counted_them(cli, tmp_path, quest_home,
                                                                                      monkeypatch):
    """Quiz answers on three days in a row, one wrong and one after a gap: Warm Gradient on the third day."""
    quiz = _catalog().get("value").quiz
    for moment, question, reply in [("2026-03-01T23:30", quiz[0], None), ("2026-03-02T08:00", quiz[1], "9999"),
                                    ("2026-03-02T09:00", quiz[1], None), ("2026-03-03T12:00", quiz[2], None),
                                    ("2026-03-06T12:00", quiz[3], None)]:
        monkeypatch.setenv("QUEST_NOW", moment)
        cli("quiz", "value", "--question", question.id, "--answer", reply or str(question.answer))
    assert cli("export", str(tmp_path / "b.json")).exit_code == 0
    bundle = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert [(e["subject"], e["date"]) for e in _events(bundle) if e.get("kind") == "badge"] == [
        ("streak-3", "2026-03-03")]
    _assert_badges_follow_from_the_events_as_the_store_derived_them(quest_home, bundle)
    code, report = _verify(cli, tmp_path / "b.json")
    assert code == 0 and report["findings"] == []


INVENTED = ["no-hints", "streak-3", "streak-7", "mlp-complete", "optimize-{task}", "optimize-complete", "quest-line"]


def _invented_badges(bundle: dict) -> list[dict]:
    """Seven badge awards the history never earned, with the XP of their tiers, after its last award."""
    optimize = _catalog().get("optimize")
    task = next(t.id for t in optimize.tasks if t.badge)
    rules, last = _badge_rules(), _events(bundle)[-1]
    return [{"type": "xp", "kind": "badge", "quest": rules[b].quest_id, "subject": rules[b].id,
             "xp": rules[b].xp, "review": f"Earned {rules[b].name}.", "at": last["at"], "date": last["date"],
             "pinned": True, "check": last["check"]}
            for b in (b.format(task=task) for b in INVENTED)]


def test_invented_badge_awards_are_each_named_even_when_the_chain_is_rebuilt_around_them(exported, cli, tmp_path):
    bundle = copy.deepcopy(exported)
    invented = _invented_badges(bundle)
    events = _events(bundle) + invented
    bundle["summary"]["xp"] += sum(b["xp"] for b in invented)  # the forger keeps the total adding up
    _rechain(bundle, events)
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1 and report["verified"] is False
    first, rules = exported["count"] + 1, _badge_rules()
    task = invented[4]["subject"].removeprefix("optimize-")
    later = ", ".join(q.id for q in _catalog().quests if q.id != "value")
    lacks = ["every quest completed had a hint revealed before its completion",
             "the longest run of days with XP is 2, not 3", "the longest run of days with XP is 2, not 7",
             "no quest XP completes mlp", f"no check completed optimize/{task}", "no quest XP completes optimize",
             f"no quest XP completes {later}"]
    assert report["findings"] == [
        {"kind": "badge", "event": first + i,
         "message": f"event #{first + i} (badge {rules[b['subject']].name}) awards a badge the events before it "
                    f"do not earn: {lack}"}
        for i, (b, lack) in enumerate(zip(invented, lacks))]
    # The claims still hold: the code passed. Only the badges are a lie.
    assert all(c["status"] == "confirmed" for c in report["claims"])
    text = " ".join(cli("verify", str(tmp_path / "bundle.json")).stdout.split())
    assert "NOT verified: 7 problems" in text
    for i, b in enumerate(invented):
        assert f"✗ [badge] event #{first + i} (badge {rules[b['subject']].name}) awards a badge" in text


@pytest.mark.parametrize("rechain", [False, True], ids=["cut-out", "chain-rebuilt"])
def test_a_removed_check_makes_the_badge_it_earned_a_finding(exported, cli, tmp_path, rechain):
    bundle = copy.deepcopy(exported)
    check = _seq(bundle, type="check", passed=True)  # the check that completed deep-graphs
    if rechain:
        _rechain(bundle, [e for e in _events(bundle) if e["seq"] != check])
    else:
        del bundle["events"][check - 1]
    code, report = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    deep = next(e["seq"] for e in _events(bundle) if e.get("subject") == "value-deep-graphs")
    assert {"kind": "badge", "event": deep,
            "message": f"event #{deep} (badge Deep Diver) awards a badge the events before it do not earn: "
                       "no check completed value/deep-graphs"} in report["findings"]
    removed = [seq for kind, seq in _kinds(report) if kind == "removed"]
    assert removed == ([] if rechain else [check])
    # The awards for the tasks it completed are named too, and its claims are gone from the report.
    task = next(e["seq"] for e in _events(bundle) if e.get("subject") == "deep-graphs")
    assert ("xp", task) in _kinds(report)
    assert "deep-graphs" not in {c["task"] for c in report["claims"]}


# --- a clock set by hand ---------------------------------------------------------------------------

def test_a_history_without_quest_now_has_no_note_and_events_set_by_hand_are_counted(cli, tmp_path, monkeypatch):
    quiz = _catalog().get("value").quiz
    cli("quiz", "value", "--question", quiz[0].id, "--answer", str(quiz[0].answer))  # the wall clock
    assert cli("export", str(tmp_path / "b.json")).exit_code == 0
    plain = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert [e["type"] for e in _events(plain)] == ["quiz", "xp"]
    assert not any("pinned" in e for e in _events(plain))  # a bundle's shape is unchanged without QUEST_NOW
    result = cli("verify", str(tmp_path / "b.json"))
    assert result.exit_code == 0 and "QUEST_NOW" not in result.stdout
    code, report = _verify(cli, tmp_path / "b.json")
    assert code == 0 and report["notes"] == []

    monkeypatch.setenv("QUEST_NOW", "2026-11-21T09:00")
    cli("quiz", "value", "--question", quiz[1].id, "--answer", str(quiz[1].answer))
    assert cli("export", str(tmp_path / "b.json")).exit_code == 0
    mixed = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    assert sorted(e.get("pinned", False) for e in _events(mixed)) == [False, False, True, True]
    code, report = _verify(cli, tmp_path / "b.json")
    assert code == 0 and report["notes"] == [
        "2 of 4 events were recorded with QUEST_NOW set (a clock set by hand): their dates and streaks show when "
        "they were claimed to happen, not when they happened"]
    # The mark is part of the event, so the chain covers it: dropping it is an edit.
    pinned = next(r for r in mixed["events"] if r["event"].get("pinned"))
    del pinned["event"]["pinned"]
    code, report = _verify(cli, _write(tmp_path, mixed, "unpinned.json"))
    assert code == 1 and _kinds(report) == [("edited", pinned["event"]["seq"])]
    assert "QUEST_NOW" in report["notes"][0] and report["notes"][0].startswith("1 of 4 events was recorded")


# --- bad input: one sentence, exit 2 -------------------------------------------------------------

@pytest.mark.parametrize("content, message", [
    (None, "does not exist"),
    ("not json {", "is not a ugrad-quest bundle: it is not valid JSON"),
    ('{"hello": 1}', "is not a ugrad-quest bundle (make one with `quest export FILE`)"),
    ('{"format": "ugrad-quest-bundle", "format_version": 9}', "is a bundle of format version 9"),
    ('{"format": "ugrad-quest-bundle", "format_version": 1, "events": 3}', "is a damaged bundle"),
])
def test_a_file_that_is_not_a_bundle_is_a_usage_error(cli, tmp_path, content, message):
    path = tmp_path / "b.json"
    if content is not None:
        path.write_text(content, encoding="utf-8")
    result = cli("verify", str(path))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1
    assert "Traceback" not in result.stderr + result.stdout


def test_export_with_no_progress_says_so(cli, tmp_path):
    result = cli("export", str(tmp_path / "b.json"))
    assert result.exit_code == 2
    assert "nothing to export yet" in result.stderr
    assert not (tmp_path / "b.json").exists()


def test_export_never_overwrites_a_file_it_did_not_write(exported, cli, tmp_path, monkeypatch):
    monkeypatch.setenv("QUEST_NOW", "2026-11-21T09:00")
    cli("quiz", "value", "--question", "reused-input", "--answer", "-1")
    notes = tmp_path / "notes.json"
    notes.write_text('{"mine": true}\n', encoding="utf-8")
    result = cli("export", str(notes))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {notes} exists and is not a ugrad-quest bundle; choose another path or delete it."
    assert notes.read_text(encoding="utf-8") == '{"mine": true}\n'
    # Its own earlier bundle is replaced: exporting again after more progress is the normal case.
    mine = tmp_path / "mine.json"
    assert cli("export", str(mine)).exit_code == 0
    first = json.loads(mine.read_text(encoding="utf-8"))
    monkeypatch.setenv("QUEST_NOW", "2026-11-22T09:00")
    cli("quiz", "value", "--question", "tanh-slope", "--answer", "0.7864")
    again = cli("export", str(mine))
    assert again.exit_code == 0 and "Wrote" in again.stdout
    assert json.loads(mine.read_text(encoding="utf-8"))["count"] == first["count"] + 2
    missing = cli("export", str(tmp_path / "nope" / "b.json"))
    assert missing.exit_code == 2 and "does not exist" in missing.stderr


@pytest.mark.parametrize("mutate", [
    lambda b: b["events"][0]["event"].update(seq="one"),
    lambda b: b["events"][0]["event"].update(completed="add-mul"),
    lambda b: b["events"][0].update(event=[1, 2]),
    lambda b: b["events"][-1]["event"].update(xp="lots"),
    lambda b: b["events"].append({"prev": 1, "hash": None}),
    lambda b: b["snapshots"].update({"abc": ["not", "files"]}),
    lambda b: b["snapshots"].update({next(iter(b["snapshots"])): {"../../evil.py": "import os"}}),
    lambda b: b.update(summary="big", tool=None, suites=[1]),  # tool and suites are informative only
    lambda b: next(r["event"] for r in b["events"] if r["event"]["type"] == "check").update(package="../x"),
    lambda b: next(r["event"] for r in b["events"] if r["event"]["type"] == "check").update(quest="[/]x"),
], ids=["seq", "completed", "event", "xp", "record", "snapshot", "escape", "header", "package", "markup"])
def test_a_mangled_bundle_is_reported_never_a_traceback(exported, cli, tmp_path, mutate):
    bundle = copy.deepcopy(exported)
    mutate(bundle)
    result = cli("verify", str(_write(tmp_path, bundle)), "--json")  # the cli fixture lets exceptions through
    assert result.exit_code == 1
    report = json.loads(result.stdout)
    assert report["verified"] is False and report["findings"]
    assert not (tmp_path.parent / "evil.py").exists()
    text = cli("verify", str(tmp_path / "bundle.json"))  # the text report prints whatever the bundle holds
    assert text.exit_code == 1 and "NOT verified" in text.stdout
