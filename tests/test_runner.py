"""The runner against the fixture course: statuses, timeouts, and learner code that misbehaves."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, COURSE, snapshot, write_engine
from ugrad_quest.catalog import load_quest
from ugrad_quest.runner import run_suite

BASICS = load_quest(COURSE / "basics")
HANGS = load_quest(COURSE / "hangs")

GOOD = BASICS_ENGINE


def statuses(result) -> dict[str, str]:
    return {task_id: r.status for task_id, r in result.tasks.items()}


def test_all_tasks_pass_and_report_counts(tmp_path: Path):
    write_engine(tmp_path, GOOD)
    result = run_suite(BASICS, tmp_path)
    assert statuses(result) == {"data": "passed", "double": "passed", "extra": "passed"}
    assert result.tasks["data"].tests_passed == result.tasks["data"].tests_total == 1
    assert result.problems == []


def test_passing_test_can_leave_a_note_for_the_report(tmp_path: Path):
    write_engine(tmp_path, GOOD)
    result = run_suite(BASICS, tmp_path)
    assert result.tasks["extra"].status == "passed"
    assert result.tasks["extra"].message == "extra said extra"
    assert result.tasks["data"].message == ""


def test_failure_carries_the_hidden_tests_message(tmp_path: Path):
    write_engine(tmp_path, GOOD.replace("return self.data * 2", "return self.data + 2"))
    result = run_suite(BASICS, tmp_path)
    assert statuses(result) == {"data": "passed", "double": "failed", "extra": "passed"}
    assert result.tasks["double"].message == "Value(4).double() should be 8"


def test_only_selected_tasks_run(tmp_path: Path):
    write_engine(tmp_path, GOOD)
    result = run_suite(BASICS, tmp_path, tasks=["double"])
    assert statuses(result) == {"double": "passed"}


def test_a_task_checked_alone_also_runs_what_it_needs_but_reports_only_itself(tmp_path: Path):
    write_engine(tmp_path, GOOD)
    ran = []
    result = run_suite(BASICS, tmp_path, tasks=["extra"], on_progress=lambda o, done, total: ran.append(o.task))
    assert statuses(result) == {"extra": "passed"}
    assert sorted(ran) == ["data", "extra", "extra"]


def test_progress_callback_sees_every_test(tmp_path: Path):
    write_engine(tmp_path, GOOD)
    seen = []
    run_suite(BASICS, tmp_path, on_progress=lambda outcome, done, total: seen.append((outcome.task, done, total)))
    assert seen == [("data", 1, 4), ("double", 2, 4), ("extra", 3, 4), ("extra", 4, 4)]


def test_missing_package_is_an_error_naming_it(tmp_path: Path):
    result = run_suite(BASICS, tmp_path)
    assert set(statuses(result).values()) == {"error"}
    assert "could not import ugrad.engine" in result.tasks["data"].message


def test_syntax_error_names_file_and_line(tmp_path: Path):
    write_engine(tmp_path, "class Value:\n    def __init__(self, data)\n        self.data = data\n")
    result = run_suite(BASICS, tmp_path)
    assert set(statuses(result).values()) == {"error"}
    assert result.tasks["data"].message.startswith("ugrad/engine.py, line 2: SyntaxError")


def test_exception_in_learner_code_names_location(tmp_path: Path):
    write_engine(tmp_path, GOOD.replace("return self.data * 2", "return self.missing * 2"))
    result = run_suite(BASICS, tmp_path)
    assert result.tasks["double"].status == "failed"
    message = result.tasks["double"].message
    assert message.startswith("AttributeError:") and "(ugrad/engine.py, line 6)" in message


def test_infinite_loop_times_out_per_task_and_others_still_run(tmp_path: Path):
    write_engine(tmp_path, GOOD)
    result = run_suite(HANGS, tmp_path, tasks=["spin", "fine"])
    assert statuses(result) == {"spin": "timeout", "fine": "passed"}
    assert result.tasks["spin"].message.startswith(
        "stopped after 1 s of CPU time while in spin() (ugrad/engine.py, line ")
    # The second spinning test of the task is not waited for again.
    assert result.duration < 1 + 10


def test_code_that_sleeps_instead_of_computing_is_a_timeout_that_says_so(tmp_path: Path):
    write_engine(tmp_path, GOOD)
    result = run_suite(HANGS, tmp_path, tasks=["nap"])
    assert statuses(result) == {"nap": "timeout"}
    assert result.tasks["nap"].message.startswith(
        "stopped after your code waited 5 s without computing while in nap() (ugrad/engine.py, line ")


def test_code_that_ignores_every_signal_is_still_stopped(tmp_path: Path):
    # The budget is enforced from outside with SIGKILL: nothing the code sets up can defeat it.
    write_engine(tmp_path, "import faulthandler, signal\nfaulthandler.unregister(signal.SIGUSR1)\n"
                           "for s in (signal.SIGALRM, signal.SIGTERM, signal.SIGINT, signal.SIGUSR1):\n"
                           "    signal.signal(s, signal.SIG_IGN)\n" + GOOD)
    result = run_suite(HANGS, tmp_path, tasks=["spin"])
    assert statuses(result) == {"spin": "timeout"}
    assert result.tasks["spin"].message.startswith("stopped after 1 s of CPU time: the code did not finish")


@pytest.mark.parametrize("exit_call", ["sys.exit(0)", "os._exit(0)", "raise SystemExit"])
def test_exit_at_import_is_an_error_never_a_pass(tmp_path: Path, exit_call: str):
    write_engine(tmp_path, f"import os, sys\n{exit_call}\n" + GOOD)
    result = run_suite(BASICS, tmp_path)
    assert set(statuses(result).values()) == {"error"}
    message = result.tasks["data"].message
    assert "sys.exit" in message or "os._exit" in message


def test_exit_inside_a_test_is_an_error_of_that_test_alone(tmp_path: Path):
    write_engine(tmp_path, GOOD.replace("return self.data * 2", "import os; os._exit(0)"))
    result = run_suite(BASICS, tmp_path)
    assert statuses(result) == {"data": "passed", "double": "error", "extra": "passed"}
    assert result.tasks["double"].message == ("the engine process exited (exit code 0) in the middle of this test: "
                                              "does your code call sys.exit() or os._exit()?")


def test_runaway_memory_is_an_error_not_a_swapping_machine(tmp_path: Path):
    write_engine(tmp_path, "hog = bytearray(16 * 2**30)\n" + GOOD)
    result = run_suite(BASICS, tmp_path)
    assert set(statuses(result).values()) == {"error"}
    assert "ran out of memory (ugrad/engine.py, line 1)" in result.tasks["data"].message


def test_flood_of_output_is_capped_and_tests_still_count(tmp_path: Path):
    write_engine(tmp_path, "import sys\nfor _ in range(200_000):\n    print('spam ' * 20)\n" + GOOD)
    result = run_suite(BASICS, tmp_path)
    assert statuses(result) == {"data": "passed", "double": "passed", "extra": "passed"}
    assert result.output_bytes > 10_000_000
    assert len(result.output) <= 4000


def test_learner_pytest_config_conftest_and_env_are_ignored(tmp_path: Path, monkeypatch):
    write_engine(tmp_path, GOOD.replace("return self.data * 2", "return 0"))
    # Each of these would make the failing task look like a pass if it were honoured.
    (tmp_path / "conftest.py").write_text("def pytest_collection_modifyitems(items):\n    items.clear()\n")
    (tmp_path / "pytest.ini").write_text("[pytest]\naddopts = -k nothing_matches\n")
    monkeypatch.setenv("PYTEST_ADDOPTS", "-k nothing_matches")
    result = run_suite(BASICS, tmp_path)
    assert statuses(result)["double"] == "failed"


def test_learner_files_are_untouched_and_nothing_is_written(tmp_path: Path):
    write_engine(tmp_path, GOOD)
    before = snapshot(tmp_path)
    run_suite(BASICS, tmp_path)
    assert snapshot(tmp_path) == before


def test_hidden_test_without_a_known_task_is_reported_as_a_quest_problem(tmp_path: Path):
    import shutil

    quest_dir = tmp_path / "quests" / "basics"
    shutil.copytree(COURSE / "basics", quest_dir)
    (quest_dir / "hidden" / "test_stray.py").write_text("def test_stray(Value):\n    pass\n")
    write_engine(tmp_path / "ws", GOOD)
    result = run_suite(load_quest(quest_dir), tmp_path / "ws")
    assert any("names no task" in p for p in result.problems)


def test_child_does_not_inherit_learner_pythonpath_side_effects(tmp_path: Path, monkeypatch):
    # A stray PYTHONPATH entry holding another `ugrad` must not shadow the workspace's package.
    other = tmp_path / "other"
    write_engine(other, "class Value:\n    pass\n")
    write_engine(tmp_path / "ws", GOOD)
    monkeypatch.setenv("PYTHONPATH", str(other) + os.pathsep + os.environ.get("PYTHONPATH", ""))
    result = run_suite(BASICS, tmp_path / "ws")
    assert statuses(result)["data"] == "passed"


def test_a_tuple_reaches_the_learners_code_as_a_tuple_and_a_list_as_a_list(tmp_path: Path):
    # A learner's reshape may test isinstance(shape[0], tuple): the protocol keeps tuples apart.
    from helpers import engine_for

    write_engine(tmp_path, BASICS_ENGINE + "\n\ndef kinds(*args):\n    return [type(a).__name__ for a in args]\n")
    engine = engine_for(tmp_path, tmp_path / "worker")
    try:
        kinds = engine.module("engine").kinds((8, 2), [8, 2], ((1,), [2]))
        assert list(kinds) == ["tuple", "list", "tuple"]
    finally:
        engine.close()
