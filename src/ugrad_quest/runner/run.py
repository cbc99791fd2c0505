"""The parent side of a check: start the judge (pytest with the hidden suite) in its own session,
back it up with a wall-clock limit, and read its results. The judge starts the engine workers."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

import ugrad_quest
from ugrad_quest.catalog import Quest
from ugrad_quest.runner import protocol as P

# pytest and hypothesis start-up, on top of the tasks' wall-clock ceilings, before the hard kill.
STARTUP_SLACK_SECONDS = 60.0
OUTPUT_KEEP_BYTES = 4000


@dataclass(frozen=True)
class TestOutcome:
    nodeid: str
    task: str | None
    outcome: str
    message: str
    duration: float
    measured: dict | None = None
    """What the test measured, whatever its outcome (a speed ratio and its tier)."""


@dataclass(frozen=True)
class TaskResult:
    id: str
    status: str
    message: str
    duration: float
    tests_passed: int
    tests_total: int
    measured: dict | None = None

    @property
    def passed(self) -> bool:
        return self.status == P.PASSED


@dataclass
class SuiteResult:
    quest_id: str
    tasks: dict[str, TaskResult]
    duration: float
    output: str = ""
    """The first few KB of what the learner's code printed (the rest is counted, not kept)."""
    output_bytes: int = 0
    problems: list[str] = field(default_factory=list)
    """Problems with the quest itself (not the learner's code), for quest authors."""
    notes: list[str] = field(default_factory=list)
    """Things the learner should know about this check (e.g. that their code ran unconfined)."""
    tests: list[TestOutcome] = field(default_factory=list)
    """Every hidden test's outcome, in collection order."""


class _OutputTap(threading.Thread):
    """Drains the child's output so a flood can never block it, keeping only the head."""

    def __init__(self, stream) -> None:
        super().__init__(daemon=True)
        self.stream, self.head, self.total = stream, bytearray(), 0

    def run(self) -> None:
        while chunk := self.stream.read1(65536) if hasattr(self.stream, "read1") else self.stream.read(65536):
            self.total += len(chunk)
            if len(self.head) < OUTPUT_KEEP_BYTES:
                self.head += chunk[: OUTPUT_KEEP_BYTES - len(self.head)]


@dataclass(frozen=True)
class Drivers:
    """A Rust learner's engine: the driver built against their crate, and for a quest that times a
    baseline (optimize), the driver built against the baseline's crate."""

    learner: Path
    baseline: Path | None = None


def _child_env(quest: Quest, workspace: Path, package: str, timeouts: dict[str, float],
               only: Iterable[str], results: Path, speed_tolerance: float = 0.0,
               drivers: Drivers | None = None) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # The learner's own pytest options and plugins must not change how the hidden suite runs.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # No __pycache__ left in the learner's package or the installed quests.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    # Hypothesis keeps a cache in ./.hypothesis even with database=None; keep it in our temp dir,
    # which is removed even when the child is killed.
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(results.parent / "hypothesis")
    # The child must import this very copy of ugrad_quest (its plugin and testkit), installed or not.
    source_root = str(Path(ugrad_quest.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([source_root, *filter(None, [os.environ.get("PYTHONPATH")])])
    env[P.ENV_RESULTS] = str(results)
    env[P.ENV_PACKAGE] = package
    env[P.ENV_WORKSPACE] = str(Path(workspace).resolve())  # the judge and the worker run elsewhere
    env[P.ENV_TIMEOUTS] = json.dumps(timeouts)
    env[P.ENV_ONLY] = ",".join(only)
    env[P.ENV_PARENT_PID] = str(os.getpid())
    if speed_tolerance:
        env[P.ENV_SPEED_TOLERANCE] = repr(speed_tolerance)
    for name in (P.ENV_LANG, P.ENV_DRIVER, P.ENV_BASELINE_DRIVER, P.ENV_STACK_KIB):
        env.pop(name, None)  # a suite nested in another run is told its own language, never the outer's
    if drivers is not None:
        env[P.ENV_LANG] = "rust"
        env[P.ENV_DRIVER] = str(drivers.learner)
        if drivers.baseline is not None:
            env[P.ENV_BASELINE_DRIVER] = str(drivers.baseline)
        env[P.ENV_STACK_KIB] = str(quest.engine_stack_kib)
    return env


def _command(quest: Quest, ini: Path, python: str) -> list[str]:
    return [
        python, "-P", "-m", "pytest", str(quest.hidden_dir),  # -P: not even its own folder on sys.path
        "-p", "ugrad_quest.runner.plugin",
        "-p", "no:cacheprovider",
        "-p", "no:terminal",  # the learner's prints are the only output we keep
        "-p", "no:unraisableexception",  # its gc.collect() at exit costs 0.1 s; the learner's code is not here
        "--noconftest",  # a learner's conftest.py must not patch the hidden tests
        "-c", str(ini), "--rootdir", str(quest.hidden_dir),
        "--import-mode=importlib",
        "-s",  # output goes straight to our pipe, where a flood is counted and dropped
    ]


def _read_events(path: Path, offset: int) -> tuple[list[dict], int]:
    try:
        with open(path, "rb") as fh:
            fh.seek(offset)
            data = fh.read()
    except FileNotFoundError:
        return [], offset
    # Only whole lines: the child may be mid-write.
    end = data.rfind(b"\n") + 1
    events = []
    for line in data[:end].splitlines():
        try:
            events.append(json.loads(line))
        except ValueError:
            continue
    return events, offset + end


def _nested() -> bool:
    """True inside a hidden suite's child (a quest that re-checks earlier quests runs suites itself)."""
    return P.ENV_RESULTS in os.environ


def _kill_group(proc: subprocess.Popen) -> None:
    try:
        if _nested():
            proc.kill()  # we share the outer run's process group: its hard kill reaches our child too
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def run_suite(
    quest: Quest,
    workspace: Path,
    package: str = "ugrad",
    tasks: Iterable[str] | None = None,
    on_progress: Callable[[TestOutcome, int, int], None] | None = None,
    python: str | None = None,
    speed_tolerance: float = 0.0,
    drivers: Drivers | None = None,
) -> SuiteResult:
    """Run the hidden suite of `quest` against `package` found in `workspace` (or installed).

    speed_tolerance: a speed tier counts as reached within this fraction of it (quest verify,
    re-measuring a claim on another machine)."""
    selected = [t for t in quest.tasks if tasks is None or t.id in set(tasks)]
    # A task checked alone may need another task's tests to run first (e.g. a shared measurement).
    running = quest.with_needs(t.id for t in selected)
    timeouts = {t.id: t.timeout for t in running}
    # A backstop only: each task's own budget is CPU time, enforced by the judge.
    hard_limit = sum(P.ceiling(t) for t in timeouts.values()) + STARTUP_SLACK_SECONDS
    start = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="ugrad-quest-") as tmp:
        tmpdir = Path(tmp)
        results = tmpdir / "results.jsonl"
        ini = tmpdir / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        only = [t.id for t in running] if tasks is not None else []
        proc = subprocess.Popen(
            _command(quest, ini, python or sys.executable),
            cwd=tmpdir,  # anything the suite or the learner's code writes lands in a throwaway folder
            env=_child_env(quest, workspace, package, timeouts, only, results, speed_tolerance, drivers),
            stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
            start_new_session=not _nested(),
        )
        tap = _OutputTap(proc.stdout)
        tap.start()
        events: list[dict] = []
        offset, killed, total, done = 0, False, 0, 0
        try:
            while True:
                finished = proc.poll() is not None
                new, offset = _read_events(results, offset)
                for event in new:
                    events.append(event)
                    if event["event"] == P.EVENT_COLLECTED:
                        total = len(event["tests"])
                    elif event["event"] == P.EVENT_TEST:
                        done += 1
                        if on_progress:
                            on_progress(_outcome(event), done, total)
                if finished:
                    break
                if time.perf_counter() - start > hard_limit:
                    killed = True
                    _kill_group(proc)
                    proc.wait()
                    break
                time.sleep(0.05)
        finally:
            # Also reaps anything the learner's code started in the background.
            _kill_group(proc)
            proc.wait()
            tap.join(timeout=2)
        new, offset = _read_events(results, offset)
        events.extend(new)
    result = _summarize(quest, selected, events, killed, proc.returncode, hard_limit)
    result.duration = time.perf_counter() - start
    result.output = tap.head.decode("utf-8", "replace")
    result.output_bytes = tap.total
    return result


def _outcome(event: dict) -> TestOutcome:
    measured = event.get("measured")
    return TestOutcome(event["nodeid"], event.get("task"), event["outcome"], event.get("message", ""),
                       float(event.get("duration", 0.0)), measured if isinstance(measured, dict) else None)


def _summarize(quest: Quest, selected, events: list[dict], killed: bool, returncode: int | None,
               hard_limit: float) -> SuiteResult:
    collected = next((e["tests"] for e in events if e["event"] == P.EVENT_COLLECTED), None)
    outcomes = {e["nodeid"]: _outcome(e) for e in events if e["event"] == P.EVENT_TEST}
    collect_errors = [e for e in events if e["event"] == P.EVENT_COLLECT_ERROR]
    done = any(e["event"] == P.EVENT_DONE for e in events)
    problems = [f"hidden test {e['nodeid']} could not be loaded: {e['message']}" for e in collect_errors]
    known = {t.id for t in quest.tasks}
    for test in collected or []:
        if test["task"] not in known:
            problems.append(f"hidden test {test['nodeid']} names no task of quest {quest.id!r} "
                            f"(task={test['task']!r})")

    # Tests with no result: never a verdict on the learner's code (it cannot stop the judge).
    if killed:
        missing = (f"the machine was too busy to judge this task (the check was stopped after {hard_limit:g} s); "
                   "run quest check again")
    elif returncode and returncode < 0:
        missing = f"the judge was killed by signal {-returncode} while running this task's tests"
    else:
        missing = (f"the judge exited (code {returncode}) in the middle of this task's tests without reporting "
                   "(a problem with the quest or the tool, not your code)")

    tasks: dict[str, TaskResult] = {}
    all_tests: list[TestOutcome] = []
    for task in selected:
        if collected is None:
            why = problems[0] if problems else missing
            tasks[task.id] = TaskResult(task.id, P.ERROR, why if (problems or done) else missing, 0.0, 0, 0)
            continue
        tests = [t for t in collected if t["task"] == task.id]
        if not tests:
            problems.append(f"task {task.id!r} of quest {quest.id!r} has no hidden tests")
            tasks[task.id] = TaskResult(task.id, P.ERROR, "this task has no hidden tests (a problem with the quest, not your code)", 0.0, 0, 0)
            continue
        results = [outcomes.get(t["nodeid"]) or TestOutcome(t["nodeid"], task.id, P.ERROR, missing, 0.0)
                   for t in tests]
        all_tests.extend(results)
        worst = max(results, key=lambda r: P.SEVERITY[r.outcome])  # the first test with the worst outcome
        if collect_errors and worst.outcome == P.PASSED:
            worst = TestOutcome("", task.id, P.ERROR, problems[0], 0.0)
        tasks[task.id] = TaskResult(
            id=task.id, status=worst.outcome,
            message=worst.message if worst.outcome != P.PASSED else " ".join(r.message for r in results if r.message),
            duration=sum(r.duration for r in results),
            tests_passed=sum(r.outcome == P.PASSED for r in results), tests_total=len(results),
            measured=next((r.measured for r in results if r.measured), None),
        )
    notes = list(dict.fromkeys(e["message"] for e in events if e["event"] == P.EVENT_NOTE))
    return SuiteResult(quest.id, tasks, 0.0, problems=problems, notes=notes, tests=all_tests)
