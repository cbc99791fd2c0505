"""The pytest plugin of the judge: the process that runs a hidden suite and decides every verdict.

The learner's code never runs here. The fixtures hand hidden tests proxies of the learner's engine
(testkit/remote.py), which lives in a confined worker process (worker/); this plugin starts that
worker, counts each task's budget in the worker's CPU seconds (runner/budget.py), turns what
happened into one outcome per test, and writes results line by line (see protocol.py).
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

import pytest

import ugrad_quest
from ugrad_quest.runner import protocol as P
from ugrad_quest.runner.budget import Budgets, MachineBusy, TaskTimeout
from ugrad_quest.testkit import state
from ugrad_quest.testkit.checks import rust_sentence
from ugrad_quest.testkit.remote import Engine, RemoteError
from ugrad_quest.worker import confine
from ugrad_quest.worker.process import WorkerGone, parse_stack, python_workers, rust_workers

MESSAGE_LIMIT = 800
MEMORY_LIMIT_BYTES = 4 * 2**30
"""Address space the worker (the learner's code) may use, soft and hard: a runaway allocation fails
with MemoryError in the learner's code instead of pushing the machine into swap."""
BUSY = "the machine was too busy to judge this task; run quest check again"


class LearnerImportError(Exception):
    """The learner's package could not be imported; every test that needs it reports this."""


def _write(event: str, **fields) -> None:
    path = os.environ.get(P.ENV_RESULTS)
    if not path:
        return
    line = json.dumps({"event": event, **fields})
    with open(path, "a", encoding="utf-8") as fh:
        fh.write(line + "\n")


def _task_of(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("task")
    return marker.args[0] if marker and marker.args else None


class Judge:
    """What hidden tests may ask of the judge beyond the fixtures: more workers (the speed tasks time
    a baseline and the learner each in fresh ones), and the running task's budget."""

    def __init__(self, plugin: "QuestPlugin"):
        self._plugin = plugin
        self.budgets = plugin.budgets

    def engine(self, modules: dict | None = None, extra_read: tuple[str, ...] = (), meter=None) -> Engine:
        """A new engine worker, of the learner's package, or of the modules given (logical name ->
        {"file": path, "name": module name}); close() it when done. Its CPU time is charged to the
        running task (through ``meter`` when one is given, e.g. with a cap of its own)."""
        return self._plugin.new_engine(modules, extra_read, meter)


class QuestPlugin:
    def __init__(self) -> None:
        self.timeouts: dict[str, float] = json.loads(os.environ.get(P.ENV_TIMEOUTS) or "{}")
        only = os.environ.get(P.ENV_ONLY, "")
        self.only = {t for t in only.split(",") if t}
        self.package = os.environ.get(P.ENV_PACKAGE, "ugrad")
        self.workspace = os.environ.get(P.ENV_WORKSPACE, "")  # absolute: the runner resolved it
        self.lang = os.environ.get(P.ENV_LANG) or "python"
        self.driver = os.environ.get(P.ENV_DRIVER, "")
        self.baseline_driver = os.environ.get(P.ENV_BASELINE_DRIVER, "")
        self.stack_bytes = int(os.environ.get(P.ENV_STACK_KIB) or 256) * 1024
        self.tmp = Path.cwd()  # the runner's temporary folder: results, hypothesis, workers
        self.budgets = Budgets(self.timeouts)
        self.timed_out: dict[str, TaskTimeout] = {}
        """Tasks whose budget ran out, with how: their later tests are reported at once."""
        self.import_failures: dict[str, str] = {}
        self._engine: Engine | None = None
        self._engines: list[Engine] = []
        self._noted = False

    # -- setup -------------------------------------------------------------------------------------
    def pytest_configure(self, config: pytest.Config) -> None:
        config.addinivalue_line("markers", "task(id): the quest task this hidden test checks")
        config.addinivalue_line("markers", "python_only: the test only means something for a Python engine "
                                "(e.g. +=, Python's in-place protocol)")
        config.addinivalue_line("markers", "rust_only: the Rust meaning of a python_only test (e.g. clones)")
        config.addinivalue_line("markers", "late: runs after every other test: it waits for work a fixture "
                                "started earlier (a nested judge), which then runs beside the other tests")
        _die_with_parent(os.environ.get(P.ENV_PARENT_PID))
        state.WORKSPACE, state.PACKAGE = self.workspace, self.package
        if self.lang == "rust":
            from ugrad_quest.runner.run import Drivers

            state.DRIVERS = Drivers(Path(self.driver), Path(self.baseline_driver) if self.baseline_driver else None)
        self.engine().prestart()  # the worker starts while pytest collects the hidden tests

    def pytest_collection_modifyitems(self, config: pytest.Config, items: list[pytest.Item]) -> None:
        other = "python_only" if self.lang == "rust" else "rust_only"
        keep = [i for i in items if (not self.only or _task_of(i) in self.only) and not i.get_closest_marker(other)]
        if len(keep) != len(items):
            config.hook.pytest_deselected(items=[i for i in items if i not in keep])
        items[:] = [i for i in keep if not i.get_closest_marker("late")] + [i for i in keep if i.get_closest_marker("late")]
        _write(P.EVENT_COLLECTED, tests=[{"nodeid": i.nodeid, "task": _task_of(i)} for i in items])

    def pytest_collectreport(self, report: pytest.CollectReport) -> None:
        if report.failed:
            _write(P.EVENT_COLLECT_ERROR, nodeid=report.nodeid, message=_short(str(report.longrepr)))

    # -- workers -----------------------------------------------------------------------------------
    def modules(self) -> dict[str, str]:
        # numpy too: the tensor quest's tests make their ndarray operands with it in the worker, apart from
        # anything the learner's Tensor does.
        return {**{m: f"{self.package}.{m}" for m in ("engine", "nn", "train", "tensor")}, "numpy": "numpy"}

    def new_engine(self, modules: dict | None = None, extra_read: tuple[str, ...] = (), meter=None) -> Engine:
        spec = modules or self.modules()
        folder = self.tmp / f"engine-{len(self._engines) + 1}"
        if self.lang == "rust":
            # A Rust engine's modules are compiled in: the quest's own modules (a baseline) are the
            # driver built against the quest's Rust baseline.
            binary = self.baseline_driver if modules else self.driver
            start = rust_workers(folder, binary, self.stack_bytes, MEMORY_LIMIT_BYTES)
        else:
            start = python_workers(folder, self.workspace, spec, extra_read, MEMORY_LIMIT_BYTES)
        engine = Engine(start, meter or self.budgets,
                        {k: v if isinstance(v, str) else v["name"] for k, v in spec.items()})
        engine.on_start = self._note_confinement
        self._engines.append(engine)
        return engine

    def engine(self) -> Engine:
        if self._engine is None:
            self._engine = self.new_engine()
        return self._engine

    def _note_confinement(self, hello: dict) -> None:
        """Say once per check what this machine could not give the worker."""
        if self._noted:
            return
        self._noted = True
        missing = (hello.get("confinement") or {}).get("missing") or []
        if missing:
            _write(P.EVENT_NOTE, message="your code ran without full confinement on this machine ("
                   + "; ".join(str(m) for m in missing) + "): it could touch files outside its folder")
        if hello.get("cpu_measured") is False:
            _write(P.EVENT_NOTE, message="this system does not let the judge read the engine's CPU time, so "
                   "budgets and speed tiers count wall-clock time here (a busy machine can slow them)")

    # -- learner code --------------------------------------------------------------------------------
    def import_learner(self, module: str):
        name = f"{self.package}.{module}" if module else self.package
        if name in self.import_failures:
            raise LearnerImportError(self.import_failures[name])
        try:
            return self.engine().module(module)
        except RemoteError as exc:
            message = _import_message(exc, name, self.package, module)
        except TaskTimeout:
            message = f"importing {name} did not finish in time: is there an infinite loop at the top level of your code?"
        except WorkerGone as exc:
            message = (f"importing {name} ended the engine process ({exc.cause}): does your code call sys.exit() "
                       "or os._exit() at the top level?")
        self.import_failures[name] = message
        raise LearnerImportError(message)

    @pytest.fixture
    def learner(self):
        """Import a module of the learner's package in the worker: learner("engine") (a proxy)."""
        return self.import_learner

    @pytest.fixture
    def Value(self, learner):  # noqa: N802 - the fixture is named after the class it provides
        learner("engine")
        try:
            return self.engine().value_class()
        except RemoteError:
            raise LearnerImportError(f"{self.package}/engine.py has no class Value") from None

    @pytest.fixture
    def nn(self, learner):
        """The learner's neural-net module, <package>.nn (quest mlp)."""
        return learner("nn")

    @pytest.fixture
    def train_step(self, learner):
        """The learner's train_step(model, xs, ys, lr) -> float from <package>.train (quest optimize)."""
        train = learner("train")
        try:
            return train.train_step
        except RemoteError:
            raise LearnerImportError(f"{self.package}/train.py has no function train_step") from None

    @pytest.fixture
    def Tensor(self, learner):  # noqa: N802 - the fixture is named after the class it provides
        """The learner's Tensor from <package>.tensor (quest tensor), a proxy (testkit/tensors.py)."""
        learner("tensor")
        from ugrad_quest.testkit.tensors import tensor_class  # numpy: only for the suites that use it

        try:
            return tensor_class(self.engine())
        except RemoteError:
            raise LearnerImportError(f"{self.package}/tensor.py has no class Tensor") from None

    @pytest.fixture
    def judge(self):
        return Judge(self)

    # -- budgets -------------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_protocol(self, item: pytest.Item, nextitem):
        task = _task_of(item)
        if task in self.timed_out:
            # The task already used its budget: report at once rather than wait again.
            _write(P.EVENT_TEST, nodeid=item.nodeid, task=task, outcome=P.TIMEOUT,
                   message=self._timeout_message(self.timed_out[task]), duration=0.0)
        self.budgets.begin(task)
        try:
            yield
        finally:
            if self._engine is not None:
                try:
                    self._engine.reset()  # the next test starts with no values of this one
                except (WorkerGone, TaskTimeout, MachineBusy):
                    self._engine.close()
            self.budgets.begin(None)

    @pytest.hookimpl(tryfirst=True)
    def pytest_runtest_setup(self, item: pytest.Item) -> None:
        if _task_of(item) in self.timed_out:
            pytest.skip("task already timed out")

    def _timeout_message(self, exc: TaskTimeout) -> str:
        if self.lang == "rust":  # the driver's phase, e.g. "call Value::backward": Rust prints no stack on a signal
            phase = (exc.stack or "").split(" ", 1)
            at = f" while in {phase[1]}" if len(phase) == 2 and phase[0] == "call" else ""
        else:
            where = self._where(exc.stack)
            at = f" while in {where[2]}() ({where[0]}, line {where[1]})" if where else ""
        if exc.idle:
            return (f"stopped after your code waited {exc.budget:g} s without computing{at}: sleep(), input() or "
                    "a lock? the engine must compute, not wait")
        return (f"stopped after {exc.budget:g} s of CPU time{at}: the code did not finish in time; look for an "
                "infinite loop (for example in backward() or the topological sort) or work that grows much "
                "faster than the graph")

    def _where(self, stack: str) -> tuple[str, int, str] | None:
        """The innermost frame of the worker's stack that is in the learner's files."""
        for file, line, function in parse_stack(stack or ""):
            rel = _relative(file, self.workspace, self.package)
            if rel:
                return rel, line, function
        return None

    # -- results -------------------------------------------------------------------------------------
    @pytest.hookimpl(hookwrapper=True)
    def pytest_runtest_makereport(self, item: pytest.Item, call: pytest.CallInfo):
        outcome = yield
        report: pytest.TestReport = outcome.get_result()
        task = _task_of(item)
        if task in self.timed_out and report.skipped:
            return  # already reported in pytest_runtest_protocol
        if not (report.when == "call" or (report.when == "setup" and not report.passed)):
            return
        excinfo = call.excinfo
        if report.passed:
            # A passing test may leave a note for the learner with record_property("note", text),
            # e.g. the measured speed-up; the task report shows it.
            notes = [str(v) for k, v in report.user_properties if k == "note"]
            result, message = P.PASSED, " ".join(notes)
        elif hasattr(report, "wasxfail"):
            result, message = P.ERROR, "a hidden test marked itself xfail (a problem with the quest, not your code)"
        elif report.skipped:
            # Only the judge's own code runs here, so a skip is a hidden test's: the check does not apply.
            result, message = P.PASSED, ""
        elif excinfo is not None and excinfo.errisinstance(TaskTimeout):
            self.timed_out[task] = excinfo.value
            result, message = P.TIMEOUT, self._timeout_message(excinfo.value)
        elif excinfo is not None and excinfo.errisinstance(MachineBusy):
            result, message = P.ERROR, f"{BUSY} (the engine got little CPU for {excinfo.value.wall:.0f} s)"
        elif excinfo is not None and excinfo.errisinstance(WorkerGone):
            result, message = P.ERROR, _gone_message(excinfo.value)
        elif excinfo is not None and excinfo.errisinstance(LearnerImportError):
            result, message = P.ERROR, str(excinfo.value)
        elif report.when == "setup":
            result, message = P.ERROR, _describe(excinfo)
        else:
            result, message = P.FAILED, _describe(excinfo)
        # What a test measured (a speed ratio), whatever its outcome: quest verify weighs it.
        measured = next((v for k, v in report.user_properties if k == "measured" and isinstance(v, dict)), None)
        _write(P.EVENT_TEST, nodeid=item.nodeid, task=task, outcome=result,
               message=_short(message), duration=round(report.duration, 4),
               cpu=round(self.budgets.usage(task).cpu, 4) if task else 0.0,
               **({"measured": measured} if measured else {}))

    def pytest_sessionfinish(self, session: pytest.Session, exitstatus) -> None:
        for engine in self._engines:
            engine.close()
        _write(P.EVENT_DONE, exitstatus=int(exitstatus))


def _die_with_parent(parent: str | None) -> None:
    """The judge ends when `quest` ends, however it ends (the worker ends with the judge in turn)."""
    if sys.platform.startswith("linux") and parent and parent.isdigit():
        confine.die_with(int(parent))


def _import_message(exc: RemoteError, name: str, package: str, module: str) -> str:
    info = exc.info or {}
    kind = info.get("kind")
    where = exc.location()
    if kind == "exit":
        return f"importing {name} called sys.exit({info.get('code')}): remove the exit call from your module"
    if kind == "syntax":
        at = f"{info['file']}, line {info.get('line')}" if info.get("file") else name
        return f"{at}: SyntaxError: {info.get('msg')}"
    if kind == "missing" and info.get("name") in (name, package):
        return f"could not import {name}: is {package}/{module}.py in your workspace?"
    if kind == "memory":
        return (f"importing {name} ran out of memory{where}: the hidden tests may use at most "
                f"{MEMORY_LIMIT_BYTES // 2**30} GiB")
    return f"importing {name} failed: {exc.remote_type}: {exc}{where}"


def _gone_message(exc: WorkerGone) -> str:
    if exc.cause.startswith("exit code"):
        return f"{exc.description} in the middle of this test: does your code call sys.exit() or os._exit()?"
    return f"{exc.description} in the middle of this test"


def _short(text: str) -> str:
    text = text.strip()
    return text if len(text) <= MESSAGE_LIMIT else text[: MESSAGE_LIMIT - 1] + "…"


def _relative(filename: str, workspace: str, package: str) -> str | None:
    try:
        path = Path(filename).resolve()
    except (OSError, ValueError):
        return None
    if workspace:
        try:
            return path.relative_to(Path(workspace).resolve()).as_posix()
        except ValueError:
            pass
    parts = path.parts
    if package in parts and Path(ugrad_quest.__file__).resolve().parent not in path.parents:
        return Path(*parts[parts.index(package):]).as_posix()
    return None


def _describe(excinfo) -> str:
    if excinfo is None:
        return "the test failed without an exception"
    exc = excinfo.value
    if isinstance(exc, AssertionError) and not isinstance(exc, RemoteError):
        text = str(exc)
        # Drop pytest's rewritten-assert explanation; hidden tests phrase their own message.
        head = text.split("\nassert ", 1)[0].strip()
        return head or "an assertion in the hidden test failed"
    if isinstance(exc, RemoteError):
        if exc.rust:
            return rust_sentence(exc)
        return f"{exc.remote_type}: {exc}{exc.location()}" if str(exc) else f"{exc.remote_type}{exc.location()}"
    return f"{type(exc).__name__}: {exc}"


def pytest_configure(config: pytest.Config) -> None:
    """Entry point for `-p ugrad_quest.runner.plugin`: registers the plugin object."""
    config.pluginmanager.register(QuestPlugin(), "ugrad-quest")
