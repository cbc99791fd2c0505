"""Run a quest's hidden pytest suite in a child process and return per-task results. Never writes to the store."""

from ugrad_quest.runner.run import Drivers, SuiteResult, TaskResult, TestOutcome, run_suite, run_suites

__all__ = ["Drivers", "SuiteResult", "TaskResult", "TestOutcome", "run_suite", "run_suites"]
