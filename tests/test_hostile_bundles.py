"""quest export and quest verify against odd and hostile input (issue 11).

Odd but honest: file names and sources that are not UTF-8, a package with a 2 GB sparse file. Hostile:
bundles a forger rebuilt around snapshots and fields no export writes, files that are not bundles at all,
and escape sequences printed by the learner's code. Each is a finding (exit 1) or one sentence (exit 2),
never a traceback, and none of them verifies.
"""

from __future__ import annotations

import copy
import json
import os
import sqlite3
import subprocess
import sys
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, COURSE, quest_command, write_engine
from ugrad_quest.ledger import chain
from ugrad_quest.ledger import snapshot as snap

LATIN1_ENGINE = ("# -*- coding: latin-1 -*-\n# Café: this file is latin-1, not UTF-8.\nGREETING = 'café'\n"
                 + BASICS_ENGINE).encode("latin-1")


def _course_env(home: Path) -> dict:
    return {"QUEST_HOME": str(home), "QUEST_QUESTS_DIR": str(COURSE)}


@pytest.fixture(scope="module")
def honest(tmp_path_factory) -> dict:
    """A bundle of the fixture course: basics started and completed by one check."""
    root = tmp_path_factory.mktemp("honest")
    env = _course_env(root / "home")
    assert quest_command("start", "basics", "--dir", "ws", cwd=root, env=env).returncode == 0
    write_engine(root / "ws", BASICS_ENGINE)
    assert quest_command("check", cwd=root / "ws", env=env).returncode == 0
    out = quest_command("export", str(root / "b.json"), cwd=root, env=env)
    assert out.returncode == 0, out.stderr
    return json.loads((root / "b.json").read_text(encoding="utf-8"))


def _events(bundle: dict) -> list[dict]:
    return [r["event"] for r in bundle["events"]]


def _check(bundle: dict) -> dict:
    return next(e for e in _events(bundle) if e["type"] == "check")


def _rechain(bundle: dict, events: list[dict]) -> dict:
    """What a careful forger does after editing: rebuild every hash so the chain is whole again."""
    bundle["events"] = chain.build([{k: v for k, v in e.items() if k != "seq"} for e in events])
    bundle["head"], bundle["count"] = bundle["events"][-1]["hash"], len(events)
    return bundle


def _with_files(bundle: dict, files: dict) -> dict:
    """The bundle with its check's snapshot replaced by `files`, digest and chain rebuilt to match."""
    forged = copy.deepcopy(bundle)
    events = _events(forged)
    digest = snap.digest(files)
    forged["snapshots"] = {digest: files}
    next(e for e in events if e["type"] == "check")["snapshot"] = digest
    return _rechain(forged, events)


def _write(tmp_path: Path, bundle: dict, name: str = "bundle.json") -> Path:
    path = tmp_path / name
    path.write_text(json.dumps(bundle, indent=1), encoding="utf-8")
    return path


def _verify(cli, path: Path) -> tuple[int, dict, str]:
    """verify --json and the text report of the same file: the code, the JSON report, the text."""
    result = cli("verify", str(path), "--json")  # the cli fixture lets exceptions through
    text = cli("verify", str(path))
    assert text.exit_code == result.exit_code
    assert "Traceback" not in text.stdout + text.stderr
    return result.exit_code, json.loads(result.stdout), " ".join(text.stdout.split())


# --- 1. names and bytes that are not UTF-8 ---------------------------------------------------------

def test_a_non_utf8_file_name_and_a_latin1_source_round_trip_through_check_export_and_verify(
        course, cli, tmp_path, quest_home):
    ws = tmp_path / "ws"
    assert cli("start", "basics", "--dir", str(ws)).exit_code == 0
    write_engine(ws, "")
    (ws / "ugrad" / "engine.py").write_bytes(LATIN1_ENGINE)
    odd = os.fsencode(ws / "ugrad") + b"/caf\xe9.py"
    with open(odd, "wb") as fh:
        fh.write(b"# caf\xe9\n")
    assert cli("check", cwd=ws).exit_code == 0
    # The store keeps the bytes as the snapshot format always did (JSON escapes of surrogateescape):
    # a database written before this fix holds exactly these rows, and must export too.
    conn = sqlite3.connect(quest_home / "progress.sqlite3")
    (row,) = [r[0] for r in conn.execute("SELECT files FROM snapshot")]
    conn.close()
    assert b'"ugrad/caf\\udce9.py":"# caf\\udce9\\n"' in row

    os.remove(odd)  # the crash came from the stored row, not the file on disk
    exported = cli("export", str(tmp_path / "b.json"))
    assert exported.exit_code == 0, exported.stderr
    raw = (tmp_path / "b.json").read_bytes()
    raw.decode("utf-8")  # a valid UTF-8 file: the odd bytes are JSON escapes in it
    assert b"caf\\udce9.py" in raw
    files = json.loads(raw)["snapshots"][_check(json.loads(raw))["snapshot"]]
    assert files["ugrad/caf\udce9.py"] == "# caf\udce9\n"

    out = tmp_path / "out"
    snap.write(files, out)
    assert (out / "ugrad" / "engine.py").read_bytes() == LATIN1_ENGINE
    assert open(os.fsencode(out / "ugrad") + b"/caf\xe9.py", "rb").read() == b"# caf\xe9\n"

    code, report, text = _verify(cli, tmp_path / "b.json")
    assert code == 0 and report["verified"] is True, report
    assert {c["status"] for c in report["claims"]} == {"confirmed"}
    assert "Verified: the chain is intact" in text


# --- 3. a package too large to snapshot --------------------------------------------------------------

def test_a_2gb_sparse_file_is_never_read_and_the_check_says_no_snapshot_was_kept(course, cli, tmp_path, monkeypatch):
    ws = tmp_path / "ws"
    assert cli("start", "basics", "--dir", str(ws)).exit_code == 0
    write_engine(ws, BASICS_ENGINE)
    with open(ws / "ugrad" / "huge.py", "wb") as fh:
        fh.truncate(2 * 2**30)  # sparse: 2 GB by its size, no disk used
    reads = []
    real = snap._read_at_most
    monkeypatch.setattr(snap, "_read_at_most", lambda path, limit: reads.append(path) or real(path, limit))
    result = cli("check", "--json", cwd=ws)
    assert result.exit_code == 0
    assert reads == []  # the size was known from stat: not one file was opened
    note = ("no snapshot of your code was kept for `quest export`, so `quest verify` cannot re-run this check: "
            "the package's .py files come to 2,147.5 MB, more than the 2 MB a snapshot holds")
    assert note in json.loads(result.stdout)["notes"]

    assert cli("export", str(tmp_path / "b.json")).exit_code == 0
    bundle = json.loads((tmp_path / "b.json").read_text(encoding="utf-8"))
    check = _check(bundle)
    assert check["snapshot"] is None and check["snapshot_skipped"] == "too-large" and bundle["snapshots"] == {}
    code, report, text = _verify(cli, tmp_path / "b.json")
    assert code == 1 and report["verified"] is False
    why = ("no snapshot was kept: the package's .py files came to more than the 2 MB a snapshot holds when it "
           "was checked")
    assert {(c["status"], c["detail"]) for c in report["claims"]} == {("not confirmed", why)}
    # The reason is part of the chained event: a forger cannot drop it without an edit.
    del bundle["events"][check["seq"] - 1]["event"]["snapshot_skipped"]
    code, report, _ = _verify(cli, _write(tmp_path, bundle))
    assert ("edited", check["seq"]) in [(f["kind"], f["event"]) for f in report["findings"]]


def test_a_check_that_recorded_no_reason_is_told_both_possible_reasons(honest, course, cli, tmp_path):
    bundle = copy.deepcopy(honest)
    events = _events(bundle)
    next(e for e in events if e["type"] == "check")["snapshot"] = None  # as a check before m005 left it
    bundle["snapshots"] = {}
    code, report, _ = _verify(cli, _write(tmp_path, _rechain(bundle, events)))
    assert code == 1 and report["findings"] == []
    assert {c["detail"] for c in report["claims"]} == {
        "no snapshot was kept with this check: it was recorded before snapshots were kept, or its package was "
        "larger than the 2 MB a snapshot holds"}


def test_capturing_beside_a_2gb_sparse_file_stays_small_in_memory(tmp_path):
    write_engine(tmp_path, "x = 1\n")
    with open(tmp_path / "ugrad" / "huge.py", "wb") as fh:
        fh.truncate(2 * 2**30)
    probe = ("import resource, sys; from pathlib import Path; from ugrad_quest.ledger import snapshot; "
             "c = snapshot.capture(Path(sys.argv[1]), 'ugrad'); "
             "print(c.skipped, c.size, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)")
    out = subprocess.run([sys.executable, "-c", probe, str(tmp_path)], capture_output=True, text=True, timeout=60)
    skipped, size, maxrss_kb = out.stdout.split()
    assert (skipped, int(size)) == ("too-large", 2 * 2**30 + 6)
    assert int(maxrss_kb) < 150_000, f"capture used {int(maxrss_kb) // 1024} MB"  # was 2.1 GB


def test_a_file_that_grows_after_its_stat_is_read_only_up_to_the_limit(tmp_path, monkeypatch):
    write_engine(tmp_path, "x = 1\n" * 1000)  # 6,000 bytes, which stat will claim is 6
    real_stat = Path.stat
    monkeypatch.setattr(Path, "stat", lambda self, **kw: os.stat_result(
        (*real_stat(self, **kw)[:6], 6, *real_stat(self, **kw)[7:])) if self.name == "engine.py" else
        real_stat(self, **kw))
    monkeypatch.setattr(snap, "MAX_BYTES", 100)
    assert snap.capture(tmp_path, "ugrad") == snap.Capture(None, snap.TOO_LARGE, 101)  # stopped at 101 bytes


# --- 2. bundles a forger rebuilt around what no export writes ---------------------------------------

def _engine(bundle: dict) -> dict:
    return dict(next(iter(bundle["snapshots"].values())))


HOSTILE_FILES = {
    "nul": ({"ugrad/nul\0.py": ""}, "ugrad/nul\0.py (a NUL byte)"),
    "dot": ({"ugrad/.": ""}, "ugrad/. (not a plain relative path)"),
    "long-name": ({"ugrad/" + "a" * 300 + ".py": ""}, "(a name longer than 255 bytes)"),
    "file-and-folder": ({"ugrad/x": "", "ugrad/x/y.py": ""}, "ugrad/x (not a .py file of a package, nor a Rust crate's Cargo.toml or src/*.rs)"),
    "py-file-and-folder": ({"ugrad/x.py": "", "ugrad/x.py/y.py": ""}, "ugrad/x.py (both a file and a folder)"),
    "absolute": ({"/tmp/evil.py": ""}, "/tmp/evil.py (not a plain relative path)"),
    "parent": ({"ugrad/../../evil.py": ""}, "ugrad/../../evil.py (not a plain relative path)"),
    "same-file-twice": ({"ugrad/./engine.py": "x = 1\n"}, "ugrad/./engine.py (not a plain relative path)"),
    "empty-part": ({"ugrad//engine.py": "x = 1\n"}, "ugrad//engine.py (not a plain relative path)"),
    "windows": ({"ugrad\\..\\..\\evil.py": ""}, "(a backslash or colon, which Windows reads as a path)"),
    "drive": ({"C:/evil.py": ""}, "C:/evil.py (a backslash or colon"),
    "symlink-ish": ({"ugrad/x.py -> /etc/passwd": ""}, "ugrad/x.py -> /etc/passwd (not a .py file of a package, nor a Rust crate's Cargo.toml or src/*.rs)"),
    "bytecode": ({"ugrad/__pycache__/engine.cpython-311.pyc": ""}, "(a hidden or cache folder)"),
    "hidden": ({"ugrad/.pth.py": ""}, "ugrad/.pth.py (a hidden or cache folder)"),
    "extension": ({"ugrad/fast.so": ""}, "ugrad/fast.so (not a .py file of a package, nor a Rust crate's Cargo.toml or src/*.rs)"),
    "top-level": ({"sitecustomize.py": ""}, "sitecustomize.py (not a .py file of a package, nor a Rust crate's Cargo.toml or src/*.rs)"),
    "bad-name-text": ({"ugrad/\ud800.py": ""}, "(characters no file name holds)"),
    "bad-source-text": ({"ugrad/odd.py": "\ud800"}, "ugrad/odd.py (text no file holds)"),
    "too-large": ({"ugrad/big.py": "#" * 2_000_001}, "2.0 MB of source, more than the 2 MB a snapshot holds"),
}


@pytest.mark.parametrize("case", HOSTILE_FILES, ids=list(HOSTILE_FILES))
def test_a_snapshot_no_check_keeps_is_malformed_never_written(honest, course, cli, tmp_path, case):
    extra, expected = HOSTILE_FILES[case]
    bundle = _with_files(honest, {**_engine(honest), **extra})
    code, report, text = _verify(cli, _write(tmp_path, bundle))
    assert code == 1 and report["verified"] is False
    assert [f["kind"] for f in report["findings"]] == ["malformed"]
    assert expected in report["findings"][0]["message"]
    assert {c["status"] for c in report["claims"]} == {"not confirmed"}  # nothing was re-run
    assert "NOT verified" in text and "\0" not in text
    assert not (tmp_path.parent / "evil.py").exists() and not Path("/tmp/evil.py").exists()


def test_files_outside_the_checked_package_are_malformed(honest, course, cli, tmp_path):
    bundle = _with_files(honest, {**_engine(honest), "other/__init__.py": "import os\n"})
    code, report, _ = _verify(cli, _write(tmp_path, bundle))
    seq = _check(bundle)["seq"]
    assert code == 1
    assert report["findings"] == [{"kind": "malformed", "event": seq, "message": f"the snapshot of check #{seq} "
                                   "holds files outside the package ugrad it checked (other/__init__.py)"}]


def test_a_snapshot_this_machine_cannot_write_is_not_confirmed_with_the_reason(honest, course, cli, tmp_path):
    deep = "ugrad/" + "/".join(["d" * 200] * 21) + "/x.py"  # every name fits, the whole path does not (4096)
    bundle = _with_files(honest, {**_engine(honest), deep: ""})
    code, report, _ = _verify(cli, _write(tmp_path, bundle))
    assert code == 1 and [f["kind"] for f in report["findings"]] == ["not-confirmed"]
    assert "its snapshot cannot be written on this machine (File name too long)" in report["findings"][0]["message"]
    assert {c["status"] for c in report["claims"]} == {"not confirmed"}


def _set(kind: str, **fields):
    def mutate(events: list[dict]) -> None:
        next(e for e in events if e["type"] == kind).update(fields)
    return mutate


HOSTILE_EVENTS = {
    "snapshot-a-list": (_set("check", snapshot=["abc"]), "malformed", "names its snapshot in a form no export writes"),
    "completed-a-number": (_set("check", completed=5), "malformed", "lists its completed tasks in a form"),
    "completed-nested": (_set("check", completed=[["data"]]), "malformed", "lists its completed tasks in a form"),
    "quest-a-dict": (_set("check", quest={"a": 1}), "malformed", "names its quest or subject in a form"),
    "xp-true": (_set("xp", xp=True), "xp", "but the rules give"),
    "xp-huge": (_set("xp", xp=10**300), "xp", "but the rules give"),
    "xp-float": (_set("xp", xp=1e308), "malformed", "has no whole-number XP"),
    "hint-a-string": (_set("start", type="hint", task="data", hint="first"), "xp", "but the rules give"),
    "package-a-list": (_set("check", package=["ugrad"]), "", ""),
}


@pytest.mark.parametrize("case", HOSTILE_EVENTS, ids=list(HOSTILE_EVENTS))
def test_event_fields_of_the_wrong_type_or_size_are_findings(honest, course, cli, tmp_path, case):
    mutate, kind, phrase = HOSTILE_EVENTS[case]
    bundle = copy.deepcopy(honest)
    events = _events(bundle)
    mutate(events)
    code, report, text = _verify(cli, _write(tmp_path, _rechain(bundle, events)))
    assert code == 1 and report["verified"] is False and "NOT verified" in text
    if kind:
        assert any(f["kind"] == kind and phrase in f["message"] for f in report["findings"]), report["findings"]


def test_a_huge_count_or_seq_is_one_finding_not_a_hang(honest, course, cli, tmp_path):
    bundle = copy.deepcopy(honest)
    n = bundle["count"]
    bundle["count"] = 10**100
    code, report, _ = _verify(cli, _write(tmp_path, bundle))
    assert code == 1
    assert [(f["kind"], f["message"]) for f in report["findings"]] == [
        ("removed", f"events #{n + 1} to #{10**100} were removed from the log")]
    bundle = copy.deepcopy(honest)
    bundle["events"][-1]["event"]["seq"] = 10**30
    code, report, _ = _verify(cli, _write(tmp_path, bundle))
    assert code == 1 and ("removed", n) in [(f["kind"], f["event"]) for f in report["findings"]]


# --- files that are not bundles: one sentence, exit 2 ------------------------------------------------

def _nested(depth: int) -> str:
    return "[" * depth + "]" * depth


NOT_BUNDLES = {
    "deep-200000": (_nested(200_000), "is not a ugrad-quest bundle: its JSON nests too deeply to read."),
    "deep-500": (_nested(500), "nests values more than 16 levels deep, deeper than any export writes."),
    "long-number": ("1" * 5000, "is not a ugrad-quest bundle: it holds a value that cannot be read"),
    "not-utf8": (b"{\"format\": \"caf\xe9\"}", "is not a ugrad-quest bundle: it is not UTF-8 text"),
    "empty": ("", "is not a ugrad-quest bundle: it is not valid JSON"),
    "a-string": ('"ugrad-quest-bundle"', "is not a ugrad-quest bundle (make one with `quest export FILE`)."),
    "version-huge": ('{"format": "ugrad-quest-bundle", "format_version": ' + "9" * 4000 + "}",
                     "is a bundle of format version 999"),
}


@pytest.mark.parametrize("case", NOT_BUNDLES, ids=list(NOT_BUNDLES))
def test_a_file_that_is_not_a_bundle_is_one_sentence(cli, tmp_path, case):
    content, message = NOT_BUNDLES[case]
    path = tmp_path / "b.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    result = cli("verify", str(path))
    assert result.exit_code == 2
    assert message in result.stderr and len(result.stderr.strip().splitlines()) == 1, result.stderr
    assert "Traceback" not in result.stderr + result.stdout


def test_a_bundle_with_a_deeply_nested_field_is_one_sentence(honest, cli, tmp_path):
    bundle = copy.deepcopy(honest)
    text = json.dumps(bundle).replace('"trainer": ', '"trainer": ' + "[" * 900 + "1" + "]" * 900 + ", \"x\": ", 1)
    (tmp_path / "b.json").write_text(text, encoding="utf-8")
    result = cli("verify", str(tmp_path / "b.json"))
    assert result.exit_code == 2 and "deeper than any export writes" in result.stderr


@pytest.mark.parametrize("kind", ["fifo", "device"])
def test_a_fifo_or_a_device_is_not_read(cli, tmp_path, kind):
    if kind == "fifo":
        path = tmp_path / "pipe.json"
        os.mkfifo(path)  # opened for reading it would wait for a writer forever
    else:
        path = Path("/dev/zero")  # read, it never ends
    result = cli("verify", str(path))
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {path} is not a regular file, so it is not a bundle."


# --- 4. escape sequences from the learner's code or the bundle ---------------------------------------

ESCAPES = "\x1b[2J\x1b]0;pwned\x07\x9b31m"


def test_escape_sequences_from_re_run_code_and_bundle_fields_reach_the_terminal_escaped(honest, course, cli,
                                                                                       tmp_path):
    engine = BASICS_ENGINE.replace('return "extra"', f"raise ValueError({ESCAPES!r})")
    files = {**_engine(honest), "ugrad/engine.py": engine}
    bundle = _with_files(honest, files)
    events = _events(bundle)
    events[0]["quest"] = f"basics{ESCAPES}"  # a start event of a quest no catalog has: named in a finding
    bundle["trainer"] = f"Ada{ESCAPES}"
    code, report, _ = _verify(cli, _write(tmp_path, _rechain(bundle, events)))
    assert code == 1
    extra = next(c for c in report["claims"] if c["task"] == "extra")
    assert extra["status"] == "not confirmed" and "\x1b[2J" in extra["detail"]  # JSON keeps the data exact
    text = cli("verify", str(tmp_path / "bundle.json")).stdout
    assert "\x1b" not in text and "\x07" not in text and "\x9b" not in text
    flat = " ".join(text.split())
    assert "Ada\\x1b[2J\\x1b]0;pwned\\x07\\x9b31m" in flat  # the trainer
    assert "\\x1b[2J" in flat.split("basics/extra")[1]  # the failing re-run's message


# --- any field, any JSON value: a finding or one sentence, never a traceback ---------------------------

def _fuzz_targets(bundle: dict) -> list[tuple]:
    keys = sorted({k for e in _events(bundle) for k in e} | {"seq", "zzz"})
    return ([("event", i, k) for i in range(len(bundle["events"])) for k in keys]
            + [("record", i, k) for i in range(len(bundle["events"])) for k in ("prev", "hash", "event")]
            + [("top", None, k) for k in ("trainer", "summary", "head", "count", "tool", "suites", "exported_at")]
            + [("snapshot", None, None), ("file", None, None)])


def test_any_field_set_to_any_json_value_is_reported_never_raised(honest):
    """Fuzzed with hypothesis: the re-run is stubbed to pass every task, so only the bundle's own
    checks stand between a mutation and "verified"; an event changed without rebuilding the chain
    must never verify."""
    import io
    import tempfile
    from types import SimpleNamespace
    from unittest import mock

    from hypothesis import HealthCheck, given, settings
    from hypothesis import strategies as st
    from rich.console import Console

    from ugrad_quest.errors import QuestError
    from ugrad_quest.render import json_view, ledger_views
    from ugrad_quest.render.console import THEME
    from ugrad_quest.services.context import Context
    from ugrad_quest.services.verify import verify_bundle

    leaves = (st.none() | st.booleans() | st.integers(-10**40, 10**40) | st.floats() | st.text(max_size=8)
              | st.sampled_from(["", "..", "ugrad/.", "\x1b[2J", "\udce9", "basics", "data", "check", "xp"]))
    values = st.recursive(leaves, lambda inner: st.lists(inner, max_size=3)
                          | st.dictionaries(st.text(max_size=4), inner, max_size=3), max_leaves=6)

    def passing(quest, workspace, package, tasks, **_):
        task = SimpleNamespace(passed=True, status="passed", tests_passed=1, tests_total=1, measured=None, message="")
        return SimpleNamespace(tasks={t: task for t in tasks}, notes=[])

    @settings(max_examples=300, deadline=None, suppress_health_check=list(HealthCheck))
    @given(target=st.sampled_from(_fuzz_targets(honest)), value=values, rechain=st.booleans())
    def fuzz(target, value, rechain):
        bundle = copy.deepcopy(honest)
        where, index, key = target
        records = bundle["events"]
        if where == "event":
            records[index]["event"][key] = value
        elif where == "record":
            records[index][key] = value
        elif where == "top":
            bundle[key] = value
        elif where == "snapshot":
            bundle["snapshots"][next(iter(bundle["snapshots"]))] = value
        else:
            next(iter(bundle["snapshots"].values()))[f"ugrad/{value}"] = value
        if rechain and all(isinstance(r, dict) and isinstance(r.get("event"), dict) for r in records):
            _rechain(bundle, [r["event"] for r in records])
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "b.json"
            path.write_text(json.dumps(bundle), encoding="utf-8")
            try:
                result = verify_bundle(ctx, path)
            except QuestError as exc:
                assert len(str(exc).splitlines()) == 1
                return
        Console(file=io.StringIO(), width=80, theme=THEME).print(ledger_views.verification(result))
        json_view.dumps(json_view.verification(result)).encode("utf-8")
        if where == "record":
            changed = honest["events"][index].get(key, ...) != records[index][key]
        else:  # an event's field: compared with the same field of the honest event, not of its record
            changed = where == "event" and honest["events"][index]["event"].get(key, ...) != records[index]["event"][key]
        if changed and not rechain:
            assert not result.ok, (target, value)

    with mock.patch.dict(os.environ, {"QUEST_QUESTS_DIR": str(COURSE)}), \
            mock.patch("ugrad_quest.runner.run_suite", passing):
        ctx = Context.from_environment()
        fuzz()
