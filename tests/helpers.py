"""Run a real quest's hidden suite on a fixture engine through the runner, as `quest check` does."""

from __future__ import annotations

from pathlib import Path

from ugrad_quest.catalog import load_quest
from ugrad_quest.runner import SuiteResult, run_suite
from ugrad_quest.testkit.checks import Kit
from ugrad_quest.testkit.remote import Engine
from ugrad_quest.worker.process import NO_METER, python_workers

REPO = Path(__file__).resolve().parents[1]
QUESTS = REPO / "quests"
ENGINES = Path(__file__).resolve().parent / "fixtures" / "engines"


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
