"""The pytest plugin loaded into the child process that runs a hidden suite.

It puts the learner's workspace on sys.path, gives hidden tests the learner's code through
fixtures (so an import failure is a per-test error, not a collection crash), enforces each
task's time budget with SIGALRM, and writes results line by line (see protocol.py).
"""

from __future__ import annotations

import importlib
import json
import os
import signal
import sys
import time
import traceback
from pathlib import Path

import pytest

from ugrad_quest.runner import protocol as P
from ugrad_quest.testkit import state

MESSAGE_LIMIT = 800
MEMORY_LIMIT_BYTES = 4 * 2**30
"""Address space the child (and the learner's code in it) may use: a runaway allocation fails with
MemoryError in the learner's code instead of pushing the machine into swap."""


class TaskTimeout(BaseException):
    """Raised by the alarm. A BaseException, so learner code catching Exception cannot swallow it."""


class LearnerImportError(Exception):
    """The learner's package could not be imported; every test that needs it reports this."""


def _write(event: str, **fields) -> None:
    path = os.environ.get(P.ENV_RESULTS)
    if not path:
        return
    line = json.dumps({"event": event, **fields})
    # Opened per line, so the learner cannot close or redirect our handle; flushed on close.
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _task_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("task")
    return marker.args[0] if marker and marker.args else None


class QuestPlugin:
    def __init__(self) -> None:
        self.timeouts: dict[str, float] = json.loads(os.environ.get(P.ENV_TIMEOUTS) or "{}")
        only = os.environ.get(P.ENV_ONLY, "")
        self.only = {t for t in only.split(",") if t}
        self.spent: dict[str, float] = {}
        self.timed_out: set[str] = set()
        self.package = os.environ.get(P.ENV_PACKAGE, "ugrad")
        self.workspace = os.environ.get(P.ENV_WORKSPACE, "")
        self.import_failures: dict[str, str] = {}

    # -- setup -------------------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "task(id): the quest task this hidden test checks")
        _limit_memory()
        state.BASELINE_RECURSION_LIMIT = sys.getrecursionlimit()
        state.WORKSPACE, state.PACKAGE = self.workspace, self.package
        if self.workspace:
            sys.path.insert(0, self.workspace)

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        if self.only:
            keep = [i for i in items if _task_of(i) in self.only]
            config.hook.pytest_deselected(items=[i for i in items if i not in keep])
            items[:] = keep
        _write(P.EVENT_COLLECTED, tests=[{"nodeid": i.nodeid, "task": _task_of(i)} for i in items])

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            _write(P.EVENT_COLLECT_ERROR, nodeid=report.nodeid, message=_short(str(report.longrepr)))

    # -- learner code --------------------------------------------------------------------------------
    def import_learner(self, module: str):
        name = f"{self.package}.{module}" if module else self.package
        if name in self.import_failures:
            raise LearnerImportError(self.import_failures[name])
        try:
            return importlib.import_module(name)
        except TaskTimeout:
            message = f"importing {name} did not finish in time: is there an infinite loop at the top level of your code?"
        except SystemExit as exc:
            message = f"importing {name} called sys.exit({exc.code!r}): remove the exit call from your module"
        except SyntaxError as exc:
            where = f"{_relative(exc.filename, self.workspace)}, line {exc.lineno}" if exc.filename else name
            message = f"{where}: SyntaxError: {exc.msg}"
        except ModuleNotFoundError as exc:
            if exc.name in (name, self.package):
                message = f"could not import {name}: is {self.package}/{module}.py in your workspace?"
            else:
                message = f"importing {name} failed: {type(exc).__name__}: {exc}{_learner_location(exc, self.workspace)}"
        except MemoryError as exc:
            message = (f"importing {name} ran out of memory{_learner_location(exc, self.workspace)}: the hidden "
                       f"tests may use at most {MEMORY_LIMIT_BYTES // 2**30} GiB")
        except Exception as exc:
            message = f"importing {name} failed: {type(exc).__name__}: {exc}{_learner_location(exc, self.workspace)}"
        self.import_failures[name] = message
        raise LearnerImportError(message)

    @pytest.fixture
    def learner(self):
        """Import a module of the learner's package: learner("engine")."""
        return self.import_learner

    @pytest.fixture
    def Value(self, learner):  # noqa: N802 - the fixture is named after the class it provides
        engine = learner("engine")
        value = getattr(engine, "Value", None)
        if value is None:
            raise LearnerImportError(f"{self.package}/engine.py has no class Value")
        return value

    @pytest.fixture
    def nn(self, learner):
        """The learner's neural-net module, <package>.nn (quest mlp)."""
        return learner("nn")

    @pytest.fixture
    def train_step(self, learner):
        """The learner's train_step(model, xs, ys, lr) -> float from <package>.train (quest optimize)."""
        train = learner("train")
        step = getattr(train, "train_step", None)
        if step is None:
            raise LearnerImportError(f"{self.package}/train.py has no function train_step")
        return step

    # -- time budgets --------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        task = _task_of(item)
        if task in self.timed_out:
            # The task already used its budget: report at once rather than wait again.
            _write(P.EVENT_TEST, nodeid=item.nodeid, task=task, outcome=P.TIMEOUT,
                   message=self._timeout_message(task), duration=0.0)
        yield

    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_call(self, item: pytest.Item):
        task = _task_of(item)
        budget = self.timeouts.get(task) if task else None
        start = time.perf_counter()
        if budget is not None and task not in self.timed_out:
            remaining = max(budget - self.spent.get(task, 0.0), 0.01)
            previous = signal.signal(signal.SIGALRM, _on_alarm)
            signal.setitimer(signal.ITIMER_REAL, remaining)
        else:
            previous = None
        try:
            yield
        finally:
            if previous is not None:
                signal.setitimer(signal.ITIMER_REAL, 0)
                signal.signal(signal.SIGALRM, previous)
            if task:
                self.spent[task] = self.spent.get(task, 0.0) + time.perf_counter() - start

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if _task_of(item) in self.timed_out:
            pytest.skip("task already timed out")

    def _timeout_message(self, task: str | None, exc: BaseException | None = None) -> str:
        budget = self.timeouts.get(task or "", 0)
        # The alarm interrupts whatever frame was running: name it when it is the learner's code.
        where = _learner_frame(exc, self.workspace) if exc is not None else None
        at = f" while in {where[2]}() ({where[0]}, line {where[1]})" if where else ""
        return (f"stopped after {budget:g} s{at}: the code did not finish in time; look for an infinite loop "
                "(for example in backward() or the topological sort) or work that grows much faster than the graph")

    # -- results -------------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        task = _task_of(item)
        if task in self.timed_out and report.skipped:
            return  # already reported in pytest_runtest_protocol
        if report.when == "call" or (report.when == "setup" and not report.passed):
            if report.passed:
                # A passing test may leave a note for the learner with record_property("note", text),
                # e.g. the measured speed-up; the task report shows it.
                notes = [str(v) for k, v in report.user_properties if k == "note"]
                result, message = P.PASSED, " ".join(notes)
            elif report.skipped:
                result, message = P.PASSED, ""  # a hidden test skips only where the check does not apply
            elif call.excinfo is not None and call.excinfo.errisinstance(TaskTimeout):
                self.timed_out.add(task)
                result, message = P.TIMEOUT, self._timeout_message(task, call.excinfo.value)
            elif call.excinfo is not None and call.excinfo.errisinstance(LearnerImportError):
                result, message = P.ERROR, str(call.excinfo.value)
            elif report.when == "setup":
                result, message = P.ERROR, _describe(call.excinfo, self.workspace)
            else:
                result, message = P.FAILED, _describe(call.excinfo, self.workspace)
            _write(P.EVENT_TEST, nodeid=item.nodeid, task=task, outcome=result,
                   message=_short(message), duration=round(report.duration, 4))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        _write(P.EVENT_DONE, exitstatus=int(exitstatus))


def _limit_memory() -> None:
    try:
        import resource

        soft, hard = resource.getrlimit(resource.RLIMIT_AS)
        if soft == resource.RLIM_INFINITY or soft > MEMORY_LIMIT_BYTES:
            limit = MEMORY_LIMIT_BYTES if hard == resource.RLIM_INFINITY else min(MEMORY_LIMIT_BYTES, hard)
            resource.setrlimit(resource.RLIMIT_AS, (limit, hard))
    except (ImportError, ValueError, OSError):
        pass  # no resource module (not POSIX) or not allowed: time limits still apply


def _on_alarm(signum, frame):
    raise TaskTimeout()


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _relative(filename: str, workspace: str) -> str:
    try:
        return str(Path(filename).resolve().relative_to(Path(workspace).resolve()))
    except (ValueError, OSError):
        return filename


def _learner_frame(exc: BaseException, workspace: str) -> tuple[str, int, str] | None:
    """(relative file, line, function) of the deepest traceback frame inside the workspace."""
    if not workspace:
        return None
    root = str(Path(workspace).resolve())
    found = None
    for frame in traceback.extract_tb(exc.__traceback__):
        try:
            path = str(Path(frame.filename).resolve())
        except OSError:
            continue
        if path.startswith(root + os.sep):
            found = (_relative(path, workspace), frame.lineno, frame.name)
    return found


def _learner_location(exc: BaseException, workspace: str) -> str:
    """' (ugrad/engine.py, line 12)' for the deepest traceback frame inside the workspace."""
    found = _learner_frame(exc, workspace)
    return f" ({found[0]}, line {found[1]})" if found else ""


def _describe(excinfo, workspace: str) -> str:
    if excinfo is None:
        return "the test failed without an exception"
    exc = excinfo.value
    if isinstance(exc, AssertionError):
        text = str(exc)
        # Drop pytest's rewritten-assert explanation; hidden tests phrase their own message.
        head = text.split("\nassert ", 1)[0].strip()
        return head or "an assertion in the hidden test failed"
    if isinstance(exc, RecursionError):
        return f"RecursionError: {exc}{_learner_location(exc, workspace)}"
    return f"{type(exc).__name__}: {exc}{_learner_location(exc, workspace)}"


def pytest_configure(config: pytest.Config) -> None:
    """Entry point for `-p ugrad_quest.runner.plugin`: registers the plugin object."""
    config.pluginmanager.register(QuestPlugin(), "ugrad-quest")
