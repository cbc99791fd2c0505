"""The parent side of a check: start the judge (pytest with the hidden suite) in its own session,
back it up with a wall-clock limit, and read its results. The judge starts the engine workers.

start_suite() returns as soon as the judge's process exists, so the caller does its own work (loading
what renders the result, opening the store) while the judge starts; Judging.wait() reads the results.
One judge may run several quests' suites (run_suites: still-correct re-runs value and mlp at once).
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

import ugrad_quest
from ugrad_quest.runner import protocol as P

if TYPE_CHECKING:
    from ugrad_quest.catalog import Quest  # the judge imports this module, and never the catalog

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


def judge_env(workspace: Path | None = None) -> dict[str, str]:
    """The environment every judge starts from, warm or cold: the learner's own pytest options and
    plugins removed, and this very copy of ugrad_quest importable (its plugin and testkit)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("PYTEST_")}
    # The learner's own pytest options and plugins must not change how the hidden suite runs.
    env["PYTEST_DISABLE_PLUGIN_AUTOLOAD"] = "1"
    # No __pycache__ left in the learner's package or the installed quests.
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    env["PYTHONUNBUFFERED"] = "1"
    # The child must import this very copy of ugrad_quest (its plugin and testkit), installed or not.
    source_root = str(Path(ugrad_quest.__file__).resolve().parent.parent)
    env["PYTHONPATH"] = os.pathsep.join([source_root, *filter(None, [os.environ.get("PYTHONPATH")])])
    for name in (P.ENV_LANG, P.ENV_DRIVER, P.ENV_BASELINE_DRIVER, P.ENV_STACK_KIB):
        env.pop(name, None)  # a suite nested in another run is told its own language, never the outer's
    return env


def _child_env(quests: list[Quest], workspace: Path, package: str, timeouts: dict[str, float],
               only: Iterable[str], results: Path, speed_tolerance: float = 0.0,
               drivers: Drivers | None = None) -> dict[str, str]:
    env = judge_env()
    # Hypothesis keeps a cache in ./.hypothesis even with database=None; keep it in our temp dir,
    # which is removed even when the child is killed.
    env["HYPOTHESIS_STORAGE_DIRECTORY"] = str(results.parent / "hypothesis")
    env[P.ENV_RESULTS] = str(results)
    env[P.ENV_PACKAGE] = package
    env[P.ENV_WORKSPACE] = str(Path(workspace).resolve())  # the judge and the worker run elsewhere
    env[P.ENV_TIMEOUTS] = json.dumps(timeouts)
    env[P.ENV_ONLY] = ",".join(only)
    env[P.ENV_PARENT_PID] = str(os.getpid())
    if speed_tolerance:
        env[P.ENV_SPEED_TOLERANCE] = repr(speed_tolerance)
    if drivers is not None:
        env[P.ENV_LANG] = "rust"
        env[P.ENV_DRIVER] = str(drivers.learner)
        if drivers.baseline is not None:
            env[P.ENV_BASELINE_DRIVER] = str(drivers.baseline)
        env[P.ENV_STACK_KIB] = str(quests[0].engine_stack_kib)  # the quests of one judge share it
    return env


def pytest_args(folders: list[Path], rootdir: Path, ini: Path) -> list[str]:
    """pytest's arguments for a judge of the hidden suites in `folders` (python -m pytest ARGS)."""
    return [
        *map(str, folders),
        "-p", "ugrad_quest.runner.plugin",
        "-p", "no:cacheprovider",
        "-p", "no:terminal",  # the learner's prints are the only output we keep
        "-p", "no:unraisableexception",  # its gc.collect() at exit costs 0.1 s; the learner's code is not here
        "--noconftest",  # a learner's conftest.py must not patch the hidden tests
        "-c", str(ini), "--rootdir", str(rootdir),
        "--import-mode=importlib",
        "-s",  # output goes straight to our pipe, where a flood is counted and dropped
    ]


def _command(args: list[str], python: str) -> list[str]:
    # -P: not even its own folder on sys.path. runner.judge is pytest's main, minus the interpreter's teardown.
    return [python, "-P", "-m", "ugrad_quest.runner.judge", *args]


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


def _kill_group(proc) -> None:
    try:
        if _nested():
            proc.kill()  # we share the outer run's process group: its hard kill reaches our child too
        else:
            os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


@dataclass(frozen=True)
class _Part:
    """One quest's share of a judge: the tasks reported, the tasks run, where its tests' ids start."""

    quest: Quest
    selected: list
    running: list
    prefix: str = ""


class Judging:
    """A judge at work on one or more quests' hidden suites (start_suite, start_suites): wait() for the
    results, or stop() it unread. Between the two the caller is free to do its own work."""

    def __init__(self, parts: list[_Part], workspace: Path, package: str, explicit: bool, python: str | None,
                 speed_tolerance: float, drivers: Drivers | None, warm=None):
        self.parts, self.warm = parts, warm
        self.python = python or sys.executable
        timeouts = {t.id: t.timeout for part in parts for t in part.running}
        # A backstop only: each task's own budget is CPU time, enforced by the judge.
        self.hard_limit = sum(P.ceiling(t) for t in timeouts.values()) + STARTUP_SLACK_SECONDS
        self.start = time.perf_counter()
        self._tmp = tempfile.TemporaryDirectory(prefix="ugrad-quest-")
        self.tmpdir = Path(self._tmp.name)
        self.results = self.tmpdir / "results.jsonl"
        ini = self.tmpdir / "pytest.ini"
        ini.write_text("[pytest]\n", encoding="utf-8")
        folders = [part.quest.hidden_dir.resolve() for part in parts]  # the judge runs in its own folder
        rootdir = folders[0] if len(folders) == 1 else Path(os.path.commonpath(folders))
        self.args = pytest_args(folders, rootdir, ini)
        only = [t.id for part in parts for t in part.running] if explicit else []
        self.env = _child_env([p.quest for p in parts], workspace, package, timeouts, only, self.results,
                              speed_tolerance, drivers)
        self.proc = None
        self._finished = False
        self._spawn()

    def _spawn(self) -> None:
        self.proc = self.warm.spawn(self.args, self.env, self.tmpdir) if self.warm is not None else None
        if self.proc is None:  # no warm judge, or it is gone: a cold one
            self.warm = None
            self.proc = subprocess.Popen(
                _command(self.args, self.python),
                cwd=self.tmpdir,  # anything the suite or the learner's code writes lands in a throwaway folder
                env=self.env, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                start_new_session=not _nested(),
            )
        self.tap = _OutputTap(self.proc.stdout)
        self.tap.start()

    def _run(self, on_progress) -> tuple[list[dict], bool]:
        """Every result event of the judge, and whether the wall-clock backstop stopped it."""
        proc, events = self.proc, []
        offset, killed, total, done = 0, False, 0, 0
        try:
            while True:
                finished = proc.poll() is not None
                new, offset = _read_events(self.results, offset)
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
                if time.perf_counter() - self.start > self.hard_limit:
                    killed = True
                    _kill_group(proc)
                    proc.wait()
                    break
                time.sleep(0.05)
        finally:
            # Also reaps anything the learner's code started in the background.
            _kill_group(proc)
            proc.wait()
            self.tap.join(timeout=2)
        new, offset = _read_events(self.results, offset)
        return events + new, killed

    def wait(self, on_progress: Callable[[TestOutcome, int, int], None] | None = None) -> list[SuiteResult]:
        try:
            events, killed = self._run(on_progress)
            if getattr(self.proc, "lost", False):
                # The warm judge died under this check (never the learner's doing: the worker is
                # another process): judge again, cold, in a folder as fresh as the first judge's (its
                # workers' folders, engine-1/worker-1 and on, would be in the way).
                for entry in self.tmpdir.iterdir():
                    if entry.name != "pytest.ini":
                        shutil.rmtree(entry, ignore_errors=True) if entry.is_dir() else entry.unlink(missing_ok=True)
                self.warm = None
                self._spawn()
                events, killed = self._run(on_progress)
        finally:
            self._finished = True
            self._tmp.cleanup()
        duration = time.perf_counter() - self.start
        results = []
        for part in self.parts:
            mine = [self._own(part, e) for e in events]
            result = _summarize(part.quest, part.selected, [e for e in mine if e is not None], killed,
                                self.proc.returncode, self.hard_limit)
            result.duration = duration
            result.output = self.tap.head.decode("utf-8", "replace")
            result.output_bytes = self.tap.total
            results.append(result)
        return results

    @staticmethod
    def _own(part: _Part, event: dict) -> dict | None:
        """`event` as the quest's own judge would have written it, or None when it is another quest's."""
        if not part.prefix:
            return event
        if "nodeid" in event and event["nodeid"]:
            if not event["nodeid"].startswith(part.prefix):
                return None
            event = {**event, "nodeid": event["nodeid"][len(part.prefix):]}
        if event["event"] == P.EVENT_COLLECTED:
            event = {**event, "tests": [{**t, "nodeid": t["nodeid"][len(part.prefix):]} for t in event["tests"]
                                        if t["nodeid"].startswith(part.prefix)]}
        return event

    def stop(self) -> None:
        """End the judge and remove its folder, its results unread (the caller gave up on them); nothing
        once wait() has returned or raised."""
        if self._finished:
            return
        self._finished = True
        try:
            _kill_group(self.proc)
            self.proc.wait()
            self.tap.join(timeout=2)
        finally:
            self._tmp.cleanup()


def _parts(plans: list[tuple[Quest, Iterable[str] | None]]) -> list[_Part]:
    parts = []
    for quest, tasks in plans:
        wanted = None if tasks is None else set(tasks)
        selected = [t for t in quest.tasks if wanted is None or t.id in wanted]
        # A task checked alone may need another task's tests to run first (e.g. a shared measurement).
        parts.append(_Part(quest, selected, quest.with_needs(t.id for t in selected)))
    return parts


def start_suite(quest: Quest, workspace: Path, package: str = "ugrad", tasks: Iterable[str] | None = None,
                python: str | None = None, speed_tolerance: float = 0.0, drivers: Drivers | None = None,
                warm=None) -> Judging:
    """Start the judge of `quest`'s hidden suite; returns once its process exists (see run_suite).

    warm: a runner.warm.WarmJudge to fork the judge from (quest watch); a cold one when it cannot."""
    return Judging(_parts([(quest, tasks)]), workspace, package, tasks is not None, python, speed_tolerance,
                   drivers, warm)


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
    judging = start_suite(quest, workspace, package, tasks, python, speed_tolerance, drivers)
    return judging.wait(on_progress)[0]


class SuitesJudging:
    """The judges of start_suites at work: wait() for every quest's results, in the order given, or stop()
    them unread."""

    def __init__(self, judgings: list[Judging]):
        self.judgings = judgings

    def wait(self) -> list[SuiteResult]:
        try:
            return [result for judging in self.judgings for result in judging.wait()]
        finally:
            self.stop()

    def stop(self) -> None:
        for judging in self.judgings:
            judging.stop()


def start_suites(plans: list[tuple[Quest, Iterable[str] | None]], workspace: Path, package: str = "ugrad",
                 drivers: Drivers | None = None) -> SuitesJudging:
    """Start several quests' hidden suites, in one judge process (one pytest start-up instead of one per
    quest) when their task ids and engine stacks allow: a quest whose task ids another quest also uses,
    or whose engine needs another stack, gets a judge of its own. Returns once they are started."""
    groups: list[list[tuple[Quest, Iterable[str] | None]]] = []
    for quest, tasks in plans:
        group = groups[-1] if groups else None
        if (group is None or quest.engine_stack_kib != group[0][0].engine_stack_kib
                or {t.id for t in quest.tasks} & {t.id for q, _ in group for t in q.tasks}):
            groups.append([(quest, tasks)])
        else:
            group.append((quest, tasks))
    judgings: list[Judging] = []
    try:
        for group in groups:
            parts = _parts(group)
            if len(parts) > 1:
                root = Path(os.path.commonpath([p.quest.hidden_dir for p in parts]))
                parts = [_Part(p.quest, p.selected, p.running, p.quest.hidden_dir.relative_to(root).as_posix() + "/")
                         for p in parts]
            explicit = any(tasks is not None for _, tasks in group)
            judgings.append(Judging(parts, workspace, package, explicit, None, 0.0, drivers))
    except BaseException:
        SuitesJudging(judgings).stop()
        raise
    return SuitesJudging(judgings)


def run_suites(plans: list[tuple[Quest, Iterable[str] | None]], workspace: Path, package: str = "ugrad",
               drivers: Drivers | None = None) -> list[SuiteResult]:
    """Several quests' hidden suites (see start_suites), each quest's results as run_suite gives them."""
    return start_suites(plans, workspace, package, drivers).wait()


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
