"""A learner who wants the XP without the work earns nothing.

Each attack here was found against the earlier in-process design; its learner files live in
tests/fixtures/attacks/<attack>/ugrad/, with a comment at the top saying what they try. Where an
attack needs a path of this machine (a database, the installed plugin), the test writes it into the
file's ``PLANTED = {}`` line. Every test asserts what the learner (or a verifier) would see:

- ``quest check --json`` through the real CLI, in a workspace made by ``quest start value``: exit 1,
  no task passed, no XP and no badge; ``quest profile --json``: no XP, no badge;
- where the attack targets files, they are unchanged afterwards, and the next honest check behaves;
- ``quest verify`` of an honest bundle whose completing check was forged to hold the attack's code
  (every hash rebuilt, so only the re-run can tell) confirms no claim, on a fresh QUEST_HOME;
- no process of a check outlives it, and the speed tiers cannot be faked.

Positive controls keep these from passing vacuously: the same helpers earn everything with a
correct engine, the forged-bundle helper with honest code verifies, and each attack that can run
safely outside a check is shown to work there (so the files do attack, and the check stops them).

The checks are independent process trees and run in parallel; the speed measurement runs alone.
"""

from __future__ import annotations

import ast
import copy
import json
import os
import re
import shutil
import signal
import sqlite3
import subprocess
import sys
import sysconfig
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path

import pytest

import ugrad_quest.runner.plugin
from conftest import ENGINES, FIXTURES, quest_command, snapshot
from helpers import QUESTS, run_hidden_suite_raw, summarize
from test_export_verify import _events, _rechain
from ugrad_quest import paths
from ugrad_quest.ledger import snapshot as snap

ATTACKS = FIXTURES / "attacks"
CORRECT = ENGINES / "iterative_slots"
OTHER_CORRECT = ENGINES / "iterative_closures"
STARTER = QUESTS / "value" / "starter" / "ugrad" / "engine.py"
VALUE_TASKS = ("add-mul", "more-ops", "relu", "tanh-exp", "backprop", "deep-graphs")
PLUGIN = Path(ugrad_quest.runner.plugin.__file__).resolve()
SITE_PACKAGES = Path(sysconfig.get_paths()["purelib"])
WORKERS = max(2, min(4, os.cpu_count() or 2))


# --- learner files --------------------------------------------------------------------------------

def hidden_tests() -> dict[str, str]:
    """{node id: task} of the value quest's hidden suite, as the judge names them (test_<file>.py::test_<name>)."""
    tests = {}
    for path in sorted((QUESTS / "value" / "hidden").glob("test_*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        mark = next(n.value for n in tree.body if isinstance(n, ast.Assign)
                    and any(getattr(t, "id", None) == "pytestmark" for t in n.targets))
        task = mark.args[0].value
        for node in tree.body:
            if isinstance(node, ast.FunctionDef) and node.name.startswith("test_"):
                tests[f"{path.name}::{node.name}"] = task
    return tests


def attack_files(name: str, **planted) -> dict[str, str]:
    """The attack's files ({"ugrad/engine.py": text}), with the test's paths written into PLANTED."""
    files = {}
    for path in sorted((ATTACKS / name / "ugrad").glob("*.py")):
        text = path.read_text(encoding="utf-8")
        if planted and "PLANTED = {}\n" in text:
            text = text.replace("PLANTED = {}\n", f"PLANTED = {planted!r}\n", 1)
        files[f"ugrad/{path.name}"] = text
    assert files, f"no learner files for attack {name}"
    if planted:
        assert any(f"PLANTED = {planted!r}" in t for t in files.values()), f"{name} has no PLANTED line"
    return files


def engine_files(folder: Path) -> dict[str, str]:
    return {f"ugrad/{p.name}": p.read_text(encoding="utf-8") for p in sorted((folder / "ugrad").glob("*.py"))}


def install(workspace: Path, files: dict[str, str]) -> None:
    for rel, text in files.items():
        (workspace / rel).write_text(text, encoding="utf-8")


# --- the CLI, as a learner's shell runs it ---------------------------------------------------------

@dataclass
class Checked:
    code: int
    report: dict
    stderr: str
    seconds: float

    def statuses(self) -> dict[str, str]:
        return {t["id"]: t["status"] for t in self.report["tasks"]}

    def messages(self) -> dict[str, str]:
        return {t["id"]: t["message"] for t in self.report["tasks"]}

    def passed(self) -> list[str]:
        return [t for t, s in self.statuses().items() if s == "passed"]

    def __str__(self) -> str:
        return f"exit {self.code}: " + json.dumps(
            {"tasks": self.report.get("tasks"), "xp": self.report.get("xp_awarded"),
             "badges": self.report.get("badges_awarded"), "notes": self.report.get("notes")}, indent=1)


def quest(home: Path, *args: str, cwd: Path, **env: str) -> subprocess.CompletedProcess:
    return quest_command(*args, cwd=cwd, env={"QUEST_HOME": str(home), **env})


def start_workspace(root: Path, home: Path) -> Path:
    result = quest(home, "start", "value", "--dir", "ws", cwd=root)
    assert result.returncode == 0, result.stderr
    return root / "ws"


def check(workspace: Path, home: Path) -> Checked:
    t0 = time.monotonic()
    result = quest(home, "check", "--json", cwd=workspace)
    seconds = time.monotonic() - t0
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"quest check printed no JSON (exit {result.returncode}): {result.stdout!r} "
                             f"{result.stderr!r}") from None
    return Checked(result.returncode, report, result.stderr, seconds)


def profile(home: Path, cwd: Path) -> dict:
    result = quest(home, "profile", "--json", cwd=cwd)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def assert_earned_nothing(checked: Checked, card: dict) -> None:
    assert checked.code == 1, str(checked)
    assert checked.passed() == [], str(checked)
    assert set(checked.statuses()) == set(VALUE_TASKS), str(checked)
    assert checked.report["passed"] is False and checked.report["xp_awarded"] == 0, str(checked)
    assert checked.report["badges_awarded"] == [], str(checked)
    assert all(t["xp_awarded"] == 0 for t in checked.report["tasks"]), str(checked)
    assert card["xp"] == 0 and card["badges"] == [] and card["tasks_completed"] == 0, card


def assert_honest_check_earns_everything(checked: Checked) -> None:
    assert checked.code == 0, str(checked)
    assert checked.statuses() == {t: "passed" for t in VALUE_TASKS}, str(checked)
    assert checked.report["xp_awarded"] > 0, str(checked)


# --- processes ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Proc:
    pid: int
    start: str
    """Field 22 of /proc/<pid>/stat: the same pid with another start time is another process."""
    cmdline: str
    cwd: str


def _stat(pid: int) -> tuple[str, int, str] | None:
    """(state, ppid, start time) of pid, or None when it is gone."""
    try:
        text = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return None
    fields = text[text.rindex(")") + 2:].split()
    return fields[0], int(fields[1]), fields[19]


def processes() -> list[Proc]:
    """Every live process (zombies are dead: they only wait to be reaped)."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        pid = int(entry)
        stat = _stat(pid)
        if stat is None or stat[0] in ("Z", "X"):
            continue
        try:
            cmdline = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode("utf-8", "replace")
        except OSError:
            continue
        try:
            cwd = os.readlink(f"/proc/{pid}/cwd")
        except OSError:
            cwd = ""
        found.append(Proc(pid, stat[2], cmdline, cwd))
    return found


def alive(proc: Proc) -> bool:
    stat = _stat(proc.pid)
    return stat is not None and stat[0] not in ("Z", "X") and stat[2] == proc.start


def descendants(root: int) -> list[Proc]:
    live = processes()
    parents = {p.pid: (_stat(p.pid) or ("", -1, ""))[1] for p in live}
    tree, changed = {root}, True
    while changed:
        changed = False
        for pid, ppid in parents.items():
            if ppid in tree and pid not in tree:
                tree.add(pid)
                changed = True
    return [p for p in live if p.pid in tree and p.pid != root]


def mentioning(text: str) -> list[Proc]:
    """Live processes (other than this one) whose command line or folder mentions text."""
    return [p for p in processes() if p.pid != os.getpid() and (text in p.cmdline or text in p.cwd)]


def kill_all(procs) -> None:
    for proc in procs:
        if alive(proc):
            try:
                os.kill(proc.pid, signal.SIGKILL)
            except OSError:
                pass


# --- the database ---------------------------------------------------------------------------------

def rows(db: Path) -> dict[str, list[tuple]]:
    """Every row of every table, read from a copy (reading the file itself must not change it)."""
    with tempfile.TemporaryDirectory() as tmp:
        shutil.copy(db, Path(tmp) / "copy.sqlite3")
        conn = sqlite3.connect(Path(tmp) / "copy.sqlite3")
        try:
            tables = [n for (n,) in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")]
            return {t: sorted(conn.execute(f'SELECT * FROM "{t}"').fetchall(), key=repr) for t in tables}
        finally:
            conn.close()


# --- the CLI attacks, run once per module, in parallel --------------------------------------------

CLI_ATTACKS = ("skip-at-import", "xfail-at-import", "patch-result-writer", "append-results", "late-report-hook",
               "patch-testkit", "settrace", "stack-frames", "badge-rows", "rewrite-plugin", "daemon",
               "lift-memory-limit")


@dataclass
class Run:
    """One attack through the CLI: its check, the card afterwards, and what the attack aimed at."""

    checked: Checked
    card: dict
    workspace: Path
    extra: dict = field(default_factory=dict)


def _run_honest(root: Path) -> Run:
    home = root / "home"
    ws = start_workspace(root, home)
    install(ws, engine_files(CORRECT))
    checked = check(ws, home)
    return Run(checked, profile(home, ws), ws)


def _run_attack(name: str, root: Path) -> Run:
    home = root / "home"
    ws = start_workspace(root, home)
    extra: dict = {}
    planted: dict = {}
    db = home / paths.DB_FILENAME
    if name == "append-results":
        planted = {"tests": hidden_tests()}
    elif name == "badge-rows":
        other = root / "other-home"  # someone else's progress on this machine, with an XP of its own
        answered = quest(other, "quiz", "value", "--question", "tanh-slope", "--answer", "0.7864", cwd=root)
        assert answered.returncode == 0, answered.stderr
        planted = {"databases": [str(db.resolve()), str((other / paths.DB_FILENAME).resolve())]}
        extra.update(db_before=rows(db), other=other, other_before=snapshot(other),
                     other_card_before=profile(other, root))
    elif name == "rewrite-plugin":
        planted = {"plugin": str(PLUGIN), "site_packages": str(SITE_PACKAGES)}
    elif name == "daemon":
        planted = {"marker": f"/tmp/ugrad-attack-daemon-{uuid.uuid4().hex}.marker"}
    files = attack_files(name, **planted)
    install(ws, files)
    extra["planted"] = planted
    if name == "rewrite-plugin":
        extra["tool_before"] = _tool_files()
    sleepers = {p for p in processes() if "sleep 1000" in p.cmdline}
    checked = check(ws, home)
    if name == "daemon":
        extra.update(_watch_daemon(ws, Path(planted["marker"]), sleepers))
    card = profile(home, ws)
    if name == "badge-rows":
        extra.update(db_after=rows(db), other_after=snapshot(other), other_card_after=profile(other, root))
    if name == "rewrite-plugin":
        extra["tool_after"] = _tool_files()
        _restore_tool(extra["tool_before"], extra["tool_after"])
        (ws / "ugrad" / "engine.py").write_bytes(STARTER.read_bytes())  # a do-nothing engine: nothing stuck?
        extra["do_nothing"] = check(ws, home)
    if name in ("badge-rows", "rewrite-plugin"):
        install(ws, engine_files(CORRECT))
        extra["honest"] = check(ws, home)
    return Run(checked, card, ws, extra)


def _tool_files() -> dict[str, bytes | None]:
    """The installed plugin, and what a sitecustomize or .pth in site-packages would be."""
    return {str(p): (p.read_bytes() if p.exists() else None)
            for p in (PLUGIN, SITE_PACKAGES / "sitecustomize.py", SITE_PACKAGES / "zz_ugrad_force_pass.pth")}


def _restore_tool(before: dict, after: dict) -> None:
    """Should the attack succeed, undo it, so that one failing test does not break every later check."""
    for path, content in before.items():
        if after[path] != content:
            if content is None:
                Path(path).unlink(missing_ok=True)
            elif b"appended by a learner" in (after[path] or b""):
                Path(path).write_bytes(content)


def _watch_daemon(workspace: Path, marker: Path, sleepers: set[Proc]) -> dict:
    """For 2 s after the check returned: was the marker ever written; then, what is still running
    (a `sleep 1000` that was not running before the check, or anything in the workspace)."""
    deadline = time.monotonic() + 2.0
    marker_seen = False
    while time.monotonic() < deadline:
        marker_seen = marker_seen or marker.exists()
        time.sleep(0.1)
    marker_seen = marker_seen or marker.exists()
    survivors = [p for p in processes() if "sleep 1000" in p.cmdline and p not in sleepers] + mentioning(str(workspace))
    kill_all(survivors)  # only what this check started: a failing test must not leave it behind
    marker.unlink(missing_ok=True)
    return {"marker_seen": marker_seen, "survivors": survivors}


@pytest.fixture(scope="module")
def cli_runs(tmp_path_factory) -> dict[str, Run]:
    """{attack: Run} for every CLI attack, plus "honest" (a correct engine), in parallel."""
    root = tmp_path_factory.mktemp("cli-attacks")

    def run(name: str) -> tuple[str, Run]:
        folder = root / name
        folder.mkdir()
        return name, (_run_honest(folder) if name == "honest" else _run_attack(name, folder))

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return dict(pool.map(run, ("honest", *CLI_ATTACKS)))


def test_control_a_correct_engine_earns_every_value_task_through_the_same_helpers(cli_runs):
    run = cli_runs["honest"]
    assert_honest_check_earns_everything(run.checked)
    assert run.card["xp"] == run.checked.report["xp_awarded"] > 0
    assert run.card["tasks_completed"] == 6 and "value-complete" in run.card["badges"]


@pytest.mark.parametrize("name", CLI_ATTACKS)
def test_an_attack_earns_no_pass_no_xp_and_no_badge(name, cli_runs):
    run = cli_runs[name]
    assert_earned_nothing(run.checked, run.card)


@pytest.mark.parametrize("name", ["skip-at-import", "xfail-at-import"])
def test_a_skip_or_xfail_at_import_is_an_error_of_every_task(name, cli_runs):
    checked = cli_runs[name].checked
    assert set(checked.statuses().values()) == {"error"}, str(checked)
    assert all("importing ugrad.engine" in m for m in checked.messages().values()), str(checked)


def test_a_value_that_reads_the_tests_frames_earns_nothing_beyond_its_forward_pass(cli_runs):
    checked = cli_runs["stack-frames"].checked
    statuses = checked.statuses()
    for task in ("backprop", "more-ops", "relu", "tanh-exp", "add-mul"):  # in-process it earned the middle three
        assert statuses[task] in ("failed", "error"), str(checked)
    # Its forward pass is real, so what fails is the inputs' gradients, which no frame of the judge hands it.
    for task in ("add-mul", "more-ops", "relu", "tanh-exp"):
        assert "c.backward() gave a.grad = 0 (expected" in checked.messages()[task], str(checked)


def test_rows_written_into_the_progress_databases_never_land(cli_runs):
    run = cli_runs["badge-rows"]
    extra = run.extra
    assert all(Path(p).is_file() for p in extra["planted"]["databases"])  # aimed at the real files
    # Someone else's database on this machine: byte for byte as it was, and their card too.
    assert extra["other_after"] == extra["other_before"]
    assert extra["other_card_after"] == extra["other_card_before"]
    assert extra["other_card_after"]["badges"] == []
    # The check's own database: the check recorded its attempt, and nothing else changed.
    before, after = extra["db_before"], extra["db_after"]
    changed = {t for t in after if after[t] != before.get(t)}
    assert changed <= {"attempt", "attempt_task"}, {t: after[t] for t in changed}
    new = [r for r in after["attempt"] if r not in before["attempt"]]
    assert len(new) == 1, new
    attempt = dict(zip(("id", "quest_id", "workspace", "package", "started_at", "local_date", "duration_ms",
                        "passed", "snapshot", "clock_pinned"), new[0]))
    assert attempt["workspace"] == str(run.workspace.resolve()) and attempt["passed"] == 0, attempt
    assert attempt["snapshot"] is None, attempt
    assert after["xp_award"] == after["task_pass"] == [] and run.card["badges"] == []
    assert sorted((r[2], r[3]) for r in after["attempt_task"] if r[1] == attempt["id"]) == sorted(
        (t, s) for t, s in run.checked.statuses().items())
    # And the next honest check behaves normally.
    assert_honest_check_earns_everything(extra["honest"])


def test_the_tool_and_the_venv_cannot_be_rewritten_by_learner_code(cli_runs):
    extra = cli_runs["rewrite-plugin"].extra
    before, after = extra["tool_before"], extra["tool_after"]
    assert before[str(PLUGIN)] is not None  # aimed at the real plugin
    assert after == before, [p for p in before if after[p] != before[p]]
    assert (SITE_PACKAGES / "sitecustomize.py").exists() is False
    # Nothing stuck: a do-nothing engine fails, then a correct one earns everything.
    do_nothing = extra["do_nothing"]
    assert do_nothing.code == 1 and do_nothing.passed() == [] and do_nothing.report["xp_awarded"] == 0, \
        str(do_nothing)
    assert_honest_check_earns_everything(extra["honest"])


def test_no_process_started_by_a_check_outlives_it(cli_runs):
    run = cli_runs["daemon"]
    checked = run.checked
    assert "error" in checked.statuses().values(), str(checked)  # the fork at import failed
    assert not run.extra["marker_seen"], "the daemon's marker file was written"
    assert run.extra["survivors"] == [], run.extra["survivors"]


def test_control_the_process_scan_sees_a_sleeping_process(tmp_path):
    sleeper = subprocess.Popen(["sleep", "1000"], cwd=tmp_path)
    try:
        assert any(p.pid == sleeper.pid for p in processes() if "sleep 1000" in p.cmdline)
        assert [p.pid for p in mentioning(str(tmp_path))] == [sleeper.pid]
    finally:
        sleeper.kill()
        sleeper.wait()


def test_lifting_the_memory_limit_fails_and_the_allocation_is_a_memory_error(cli_runs):
    checked = cli_runs["lift-memory-limit"].checked
    assert checked.seconds < 120, checked.seconds
    status, message = checked.statuses()["add-mul"], checked.messages()["add-mul"]
    assert status in ("error", "failed"), str(checked)
    assert "memory" in message.lower(), message


# --- killing `quest check` ------------------------------------------------------------------------

def test_killing_quest_check_ends_the_judge_and_the_worker(tmp_path):
    home = tmp_path / "home"
    ws = start_workspace(tmp_path, home)
    install(ws, attack_files("killed-quest"))
    env = {**os.environ, "QUEST_HOME": str(home)}
    proc = subprocess.Popen([sys.executable, "-m", "ugrad_quest", "check"], cwd=ws, env=env,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    tree: list[Proc] = []
    try:
        deadline = time.monotonic() + 60
        worker = None
        while worker is None:
            assert proc.poll() is None, f"quest check ended (exit {proc.returncode}) before its worker started"
            assert time.monotonic() < deadline, "no engine worker appeared within 60 s"
            tree = descendants(proc.pid)
            worker = next((p for p in tree if "ugrad_quest.worker" in p.cmdline), None)
            time.sleep(0.05)
        judges = [p for p in tree if "-m ugrad_quest.runner.judge" in p.cmdline and "hidden" in p.cmdline
                  and (_stat(p.pid) or ("", -1, ""))[1] == proc.pid]
        assert len(judges) == 1, tree
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait()
        deadline = time.monotonic() + 5
        while True:
            left = [p for p in tree if alive(p)] + [p for p in mentioning(str(ws)) if p not in tree]
            if not left or time.monotonic() > deadline:
                break
            time.sleep(0.05)
        assert left == [], f"still running 5 s after quest was killed: {left}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        kill_all(tree)


# --- verify: an honest bundle, forged to hold the attack's code ------------------------------------

VERIFY_ATTACKS = ("skip-at-import", "xfail-at-import", "append-results", "patch-result-writer", "late-report-hook",
                  "patch-testkit", "settrace", "stack-frames")


@pytest.fixture(scope="module")
def honest_bundle(tmp_path_factory) -> dict:
    """A learner who completed value in one honest check of a correct engine, exported."""
    root = tmp_path_factory.mktemp("honest-learner")
    home = root / "home"
    ws = start_workspace(root, home)
    install(ws, engine_files(CORRECT))
    assert_honest_check_earns_everything(check(ws, home))
    out = quest(home, "export", str(root / "bundle.json"), cwd=ws)
    assert out.returncode == 0, out.stderr
    return json.loads((root / "bundle.json").read_text(encoding="utf-8"))


def forge(bundle: dict, files: dict[str, str]) -> dict:
    """The bundle with the code of every task-completing check replaced by files, every hash rebuilt."""
    bundle = copy.deepcopy(bundle)
    files = {"ugrad/__init__.py": "", **files}
    digest = snap.digest(files)
    events = _events(bundle)
    completing = [e for e in events if e["type"] == "check" and e.get("completed")]
    assert completing, "the honest history completed nothing"
    for event in completing:
        event["snapshot"] = digest
    bundle["snapshots"][digest] = files
    used = {e.get("snapshot") for e in events}
    bundle["snapshots"] = {d: f for d, f in bundle["snapshots"].items() if d in used}
    _rechain(bundle, events)
    return bundle


@dataclass
class Verified:
    code: int
    report: dict
    stderr: str
    extra: dict = field(default_factory=dict)

    def statuses(self) -> dict[str, str]:
        return {c["task"]: c["status"] for c in self.report["claims"]}

    def __str__(self) -> str:
        return f"exit {self.code}: " + json.dumps({k: self.report.get(k) for k in ("claims", "findings", "notes")},
                                                  indent=1)


def verify(path: Path, home: Path, **env: str) -> Verified:
    result = quest(home, "verify", str(path), "--json", cwd=path.parent, **env)
    try:
        report = json.loads(result.stdout)
    except ValueError:
        raise AssertionError(f"quest verify printed no JSON (exit {result.returncode}): {result.stderr!r}") from None
    return Verified(result.returncode, report, result.stderr)


def _verify_job(name: str, bundle: dict, root: Path) -> Verified:
    if name == "delete-verifier-home":
        return _verify_delete_job(bundle, root)
    home = root / "fresh-home"
    home.mkdir()
    if name == "honest":
        forged = forge(bundle, engine_files(OTHER_CORRECT))  # other correct code: the digest and chain change
    else:
        forged = forge(bundle, attack_files(name, **({"tests": hidden_tests()} if name == "append-results" else {})))
    path = root / "forged.json"
    path.write_text(json.dumps(forged, indent=1), encoding="utf-8")
    verified = verify(path, home)
    verified.extra["home_after"] = sorted(p.name for p in home.iterdir())
    return verified


def _verify_delete_job(bundle: dict, root: Path) -> Verified:
    """The verifier has progress of their own and a home folder; the bundle's code tries to delete both."""
    home, user = root / "verifier-home", root / "verifier-user"
    answered = quest(home, "quiz", "value", "--question", "tanh-slope", "--answer", "0.7864", cwd=root)
    assert answered.returncode == 0, answered.stderr
    (user / ".config").mkdir(parents=True)
    (user / "notes.txt").write_text("my notes\n", encoding="utf-8")
    (user / ".config" / "settings.ini").write_text("[x]\ny = 1\n", encoding="utf-8")
    before = {"home": snapshot(home), "user": snapshot(user)}
    files = attack_files("delete-verifier-home", paths=[str(home.resolve()), str(user.resolve())])
    path = root / "forged.json"
    path.write_text(json.dumps(forge(bundle, files), indent=1), encoding="utf-8")
    # The tool's own cache (parsed quest files) goes elsewhere: the user's folder shows only what the
    # bundle's code did to it.
    verified = verify(path, home, HOME=str(user), QUEST_CACHE=str(root / "tool-cache"))
    verified.extra.update(before=before, after={"home": snapshot(home), "user": snapshot(user)})
    return verified


@pytest.fixture(scope="module")
def verify_runs(honest_bundle, tmp_path_factory) -> dict[str, Verified]:
    root = tmp_path_factory.mktemp("verify-attacks")

    def run(name: str) -> tuple[str, Verified]:
        folder = root / name
        folder.mkdir()
        return name, _verify_job(name, honest_bundle, folder)

    with ThreadPoolExecutor(max_workers=WORKERS) as pool:
        return dict(pool.map(run, ("honest", *VERIFY_ATTACKS, "delete-verifier-home")))


def test_control_a_forged_bundle_with_honest_code_verifies(verify_runs):
    verified = verify_runs["honest"]
    assert verified.code == 0, str(verified)
    assert verified.report["verified"] is True and verified.report["findings"] == [], str(verified)
    assert verified.statuses() == {t: "confirmed" for t in VALUE_TASKS}, str(verified)
    assert verified.extra["home_after"] == []


def _assert_no_claim_confirmed(verified: Verified) -> None:
    assert verified.code == 1, str(verified)
    assert verified.report["verified"] is False, str(verified)
    assert set(verified.statuses()) == set(VALUE_TASKS), str(verified)
    assert set(verified.statuses().values()) == {"not confirmed"}, str(verified)
    # The forgery is otherwise perfect: only the re-runs find anything (else this could pass vacuously).
    assert {f["kind"] for f in verified.report["findings"]} == {"not-confirmed"}, str(verified)


@pytest.mark.parametrize("name", VERIFY_ATTACKS)
def test_a_forged_bundle_with_attack_code_confirms_no_claim_on_a_fresh_home(name, verify_runs):
    verified = verify_runs[name]
    _assert_no_claim_confirmed(verified)
    assert verified.extra["home_after"] == []  # verifying wrote nothing into the verifier's home


def test_bundle_code_cannot_delete_the_verifiers_progress_or_home(verify_runs):
    verified = verify_runs["delete-verifier-home"]
    _assert_no_claim_confirmed(verified)
    before, after = verified.extra["before"], verified.extra["after"]
    assert before["home"] and paths.DB_FILENAME in before["home"]  # there was progress to lose
    assert after["home"] == before["home"]
    assert after["user"] == before["user"]


# --- the speed tiers cannot be faked ---------------------------------------------------------------

def _ratio_of(tier: int, message: str) -> float:
    """The ratio a speed task's message reports: in full ("...: 0.99x (demo ...") or as how far from the tier."""
    full = re.search(r"yours [\d.]+ ms/step: ([\d.]+)x \(", message)
    if full:
        return float(full.group(1))
    short = re.search(rf"^{tier}x(?: on \w+)? needs <= [\d.]+ ms/step(?: on \w+)?: your step must get ([\d.]+)x faster",
                      message)
    assert short, f"no speed report in {message!r}"
    return tier / float(short.group(1))


def test_slowed_clocks_and_fake_timing_files_do_not_make_a_plain_step_fast(tmp_path):
    workspace = tmp_path / "ws"
    shutil.copytree(ENGINES / "optimize" / "plain", workspace)
    install(workspace, attack_files("fake-timing"))
    results = summarize(run_hidden_suite_raw("optimize", workspace))
    assert results["still-correct"] == ("passed", ""), results  # the step is correct: it is judged
    for tier in (2, 5, 20, 60):
        status, message = results[f"speedup-{tier}x"]
        assert status == "failed", (tier, status, message)
        assert _ratio_of(tier, message) < 2, (tier, message)


# --- controls: each attack that can run safely outside a check does attack ---------------------------

def _run_unconfined(code: str, tmp: Path, **env: str) -> subprocess.CompletedProcess:
    """Python code in a plain child process (no judge, no worker), with a home and temp folder of its own."""
    full = {k: v for k, v in os.environ.items() if not k.startswith(("QUEST_", "UGRAD_QUEST_"))}
    full.update(HOME=str(tmp / "home"), TMPDIR=str(tmp / "tmp"), **env)
    (tmp / "home").mkdir(exist_ok=True)
    (tmp / "tmp").mkdir(exist_ok=True)
    result = subprocess.run([sys.executable, "-c", code], cwd=tmp, env=full, capture_output=True, text=True,
                            timeout=120)
    assert result.returncode == 0, result.stderr
    return result


def _load(name: str, folder: Path, **planted) -> Path:
    """The attack's engine (or train) module written to a file in folder, ready to run."""
    files = attack_files(name, **planted)
    target = folder / "attack.py"
    target.write_text(files.get("ugrad/engine.py") or files["ugrad/__init__.py"], encoding="utf-8")
    return target


def test_unconfined_badge_rows_land_in_a_database(tmp_path):
    home = tmp_path / "victim"
    start_workspace(tmp_path, home)
    db = home / paths.DB_FILENAME
    attack = _load("badge-rows", tmp_path, databases=[str(db)])
    _run_unconfined(f"import runpy; runpy.run_path({str(attack)!r})", tmp_path)
    card = profile(home, tmp_path)
    assert "quest-line" in card["badges"] and card["xp"] > 0, card


def test_unconfined_rewrite_plugin_rewrites_the_plugin_and_drops_a_sitecustomize(tmp_path):
    plugin, site = tmp_path / "plugin.py", tmp_path / "site-packages"
    shutil.copy(PLUGIN, plugin)
    site.mkdir()
    attack = _load("rewrite-plugin", tmp_path, plugin=str(plugin), site_packages=str(site))
    _run_unconfined(f"import runpy; runpy.run_path({str(attack)!r})", tmp_path)
    assert "appended by a learner" in plugin.read_text(encoding="utf-8")
    assert (site / "sitecustomize.py").is_file()


def test_unconfined_delete_verifier_home_deletes_the_paths_and_home(tmp_path):
    victim = tmp_path / "victim"
    (victim / "deep").mkdir(parents=True)
    (victim / "deep" / "progress.sqlite3").write_bytes(b"data")
    attack = _load("delete-verifier-home", tmp_path, paths=[str(victim)])
    (tmp_path / "home").mkdir()
    (tmp_path / "home" / "mine.txt").write_text("x", encoding="utf-8")
    _run_unconfined(f"import runpy; runpy.run_path({str(attack)!r})", tmp_path)
    assert not victim.exists() and not (tmp_path / "home").exists()


def test_unconfined_append_results_appends_a_pass_for_every_hidden_test(tmp_path):
    (tmp_path / "fake-tmp" / "ugrad-quest-x").mkdir(parents=True)
    found = tmp_path / "fake-tmp" / "ugrad-quest-x" / "results.jsonl"
    named = tmp_path / "named.jsonl"
    found.touch()
    named.touch()
    attack = _load("append-results", tmp_path, tests=hidden_tests(), tmp=str(tmp_path / "fake-tmp"))
    _run_unconfined(f"import runpy; runpy.run_path({str(attack)!r})", tmp_path, UGRAD_QUEST_RESULTS=str(named))
    for results in (found, named):
        lines = [json.loads(line) for line in results.read_text(encoding="utf-8").splitlines()]
        assert {line["nodeid"] for line in lines} == set(hidden_tests()) and len(hidden_tests()) > 40
        assert {line["outcome"] for line in lines} == {"passed"}


def test_unconfined_patch_testkit_and_patch_result_writer_patch_the_judges_modules(tmp_path):
    code = (f"import math, runpy\n"
            f"import ugrad_quest.runner.plugin as plugin\n"
            f"from ugrad_quest.testkit import checks\n"
            f"runpy.run_path({str(_load('patch-testkit', tmp_path))!r})\n"
            f"assert math.isclose(1, 2) and checks.close(1.0, 2.0) and checks.fail('no') is None\n"
            f"runpy.run_path({str(ATTACKS / 'patch-result-writer' / 'ugrad' / 'engine.py')!r})\n"
            f"assert plugin._write.__name__ == '_forged_write'\n")
    _run_unconfined(code, tmp_path)


def test_unconfined_settrace_rewrites_a_plugins_verdict(tmp_path):
    code = (f"import runpy\n"
            f"runpy.run_path({str(_load('settrace', tmp_path))!r})\n"
            f"judge = compile('def verdict():\\n    result = \"failed\"\\n    message = \"wrong\"\\n"
            f"    return result, message\\n', '/x/plugin.py', 'exec')\n"
            f"space = {{}}\n"
            f"exec(judge, space)\n"
            f"assert space['verdict']() == ('passed', ''), space['verdict']()\n")
    _run_unconfined(code, tmp_path)


def test_unconfined_stack_frames_reads_an_expected_gradient_from_its_caller(tmp_path):
    code = (f"import runpy\n"
            f"Value = runpy.run_path({str(_load('stack-frames', tmp_path))!r})['Value']\n"
            f"def hidden_test():\n"
            f"    a = Value(2.0)\n"
            f"    want = 0.75\n"
            f"    (a * 3).backward()\n"
            f"    return a.grad\n"
            f"assert hidden_test() == 0.75\n")
    _run_unconfined(code, tmp_path)


def test_unconfined_late_report_hook_turns_a_failing_pytest_test_into_a_pass(tmp_path):
    attack = _load("late-report-hook", tmp_path)
    (tmp_path / "test_victim.py").write_text(
        f"import runpy\nrunpy.run_path({str(attack)!r})\n\ndef test_fails():\n    assert False\n", encoding="utf-8")
    result = subprocess.run([sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider", "test_victim.py"],
                            cwd=tmp_path, capture_output=True, text=True, timeout=120,
                            env={k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")})
    assert result.returncode == 0 and "1 passed" in result.stdout, result.stdout


def test_unconfined_fake_timing_slows_the_clocks_and_writes_timing_files(tmp_path):
    folder = tmp_path / "fake-tmp" / "ugrad-quest-x"
    folder.mkdir(parents=True)
    (folder / "speed.json").write_text("{}", encoding="utf-8")
    attack = _load("fake-timing", tmp_path, tmp=str(tmp_path / "fake-tmp"))
    code = (f"import runpy, time\n"
            f"real = time.perf_counter\n"
            f"runpy.run_path({str(attack)!r})\n"
            f"t0, r0 = time.perf_counter(), real()\n"
            f"while real() - r0 < 0.2: pass\n"
            f"assert time.perf_counter() - t0 < 0.01, time.perf_counter() - t0\n")
    _run_unconfined(code, tmp_path)
    assert json.loads((folder / "speed.json").read_text(encoding="utf-8"))["ratio"] == 1000.0
