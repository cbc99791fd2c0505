"""Run a real quest's hidden suite on a fixture engine through the runner, as `quest check` does."""

from __future__ import annotations

import shutil
from pathlib import Path

from ugrad_quest.catalog import load_quest
from ugrad_quest.runner import SuiteResult, run_suite
from ugrad_quest.testkit.checks import Kit
from ugrad_quest.testkit.remote import Engine
from ugrad_quest.worker.process import NO_METER, python_workers

REPO = Path(__file__).resolve().parents[1]
QUESTS = REPO / "quests"
ENGINES = Path(__file__).resolve().parent / "fixtures" / "engines"
OPTIMIZE_FIXTURES = ENGINES / "optimize"
PACKAGE_FILES = ("__init__.py", "engine.py", "nn.py", "train.py")


def optimize_workspace(name: str, tmp: Path) -> Path:
    """An optimize fixture as a whole workspace. One that holds only the files it changes (a bug in
    train.py, a rung of the ladder) is laid over the fixture its BASE file names (`fast` without one)."""
    fixture = OPTIMIZE_FIXTURES / name
    if all((fixture / "ugrad" / f).is_file() for f in PACKAGE_FILES):
        return fixture
    base = (fixture / "BASE").read_text().strip() if (fixture / "BASE").is_file() else "fast"
    target = Path(tmp) / name
    if not target.exists():
        shutil.copytree(OPTIMIZE_FIXTURES / base / "ugrad", target / "ugrad")
        shutil.copytree(fixture / "ugrad", target / "ugrad", dirs_exist_ok=True)
    return target


def run_hidden_suite_raw(quest: str, workspace: Path | str, package: str = "ugrad",
                         tasks: list[str] | None = None) -> SuiteResult:
    result = run_suite(load_quest(QUESTS / quest), Path(workspace), package, tasks=tasks)
    if result.problems:
        raise RuntimeError(f"problems with the quest itself: {result.problems}")
    return result


def summarize(result: SuiteResult) -> dict[str, tuple[str, str]]:
    """{task: (status, message)} as `quest check` reports them."""
    return {task_id: (r.status, r.message) for task_id, r in result.tasks.items()}


def run_hidden_suite(quest: str, workspace: Path | str, package: str = "ugrad",
                     tasks: list[str] | None = None) -> dict[str, tuple[str, str]]:
    return summarize(run_hidden_suite_raw(quest, workspace, package, tasks))


def assert_verdicts(result: SuiteResult, tasks: tuple[str, ...], expected: tuple[tuple[str, str], ...]) -> None:
    """Every task has the expected status and, where one is given, a message containing the text."""
    results = summarize(result)
    assert set(results) == set(tasks), f"tasks reported: {sorted(results)}"
    problems = []
    for task, (want_status, want_text) in zip(tasks, expected):
        status, message = results[task]
        if status != want_status:
            problems.append(f"{task}: {status} (expected {want_status}): {message}")
        elif want_text and want_text not in message:
            problems.append(f"{task}: message {message!r} does not contain {want_text!r}")
    assert not problems, "\n".join(problems)


def engine_for(workspace: Path | str, tmp: Path, package: str = "ugrad") -> Engine:
    """The learner package in workspace, in an engine worker of its own (outside any judge, no budget)."""
    modules = {m: f"{package}.{m}" for m in ("engine", "nn", "train")}
    return Engine(python_workers(Path(tmp), str(workspace), modules), NO_METER, modules)


def kit_for(workspace: Path | str, tmp: Path, package: str = "ugrad") -> Kit:
    engine = engine_for(workspace, tmp, package)
    engine.module("engine")
    return Kit(engine.value_class())
