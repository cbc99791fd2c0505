"""Time budgets of tasks, counted in the worker's CPU seconds as the judge measures them from outside.

A busy machine slows every process down, but it does not make a computation take more CPU seconds,
so a budget in CPU seconds judges the learner's code the same on a loaded laptop as on an idle one.
Wall-clock time only backs it up:

- CPU seconds past the task's budget: the learner's ``timeout``, named with where the code was.
- A worker that sat idle (no thread running or able to run: sleeping, waiting for input) for longer
  than ``idle_limit``: also the learner's timeout, as code that waits instead of computing.
- Wall time past ``ceiling`` while neither of those ran out: the machine gave the worker too little
  CPU to judge the task (``MachineBusy``, an error), never a verdict on the code.
"""

from __future__ import annotations

from ugrad_quest.runner.protocol import ceiling
from ugrad_quest.worker.process import Usage

IDLE_FLOOR_SECONDS = 5.0


def idle_limit(budget: float) -> float:
    return max(budget, IDLE_FLOOR_SECONDS)


class TaskTimeout(BaseException):
    """The learner's code used up its task's budget. A BaseException: no `except Exception` in the
    learner's code or a hidden test can swallow it."""

    wants_stack = True  # the worker is asked for its stack before it is stopped, to say where the code was

    def __init__(self, task: str, budget: float, idle: bool):
        super().__init__(task)
        self.task, self.budget, self.idle = task, budget, idle
        self.stack = ""


class MachineBusy(BaseException):
    """The wall-clock ceiling passed while the worker had CPU seconds left: no verdict on the code."""

    def __init__(self, task: str, wall: float):
        super().__init__(task)
        self.task, self.wall = task, wall


class Budgets:
    """Which task the judge is running, and what each task's tests have used of its budget so far.

    The worker processes call ``check`` while the judge waits for them, and ``charge`` after every
    exchange; a task's usage adds up over all its tests and every worker they used."""

    def __init__(self, budgets: dict[str, float]):
        self.budgets = dict(budgets)
        self.used: dict[str, Usage] = {}
        self.task: str | None = None

    def begin(self, task: str | None) -> None:
        self.task = task

    def budget(self, task: str | None = None) -> float | None:
        return self.budgets.get(task or self.task or "")

    def usage(self, task: str | None = None) -> Usage:
        return self.used.get(task or self.task or "", Usage())

    def remaining(self) -> float | None:
        """CPU seconds the running task has left (None without a budget)."""
        budget = self.budget()
        return None if budget is None else max(budget - self.usage().cpu, 0.0)

    def check(self, usage: Usage) -> None:
        budget = self.budget()
        if budget is None:
            return
        total = self.usage() + usage
        if total.cpu > budget:
            raise TaskTimeout(self.task, budget, idle=False)
        if total.idle > idle_limit(budget):
            raise TaskTimeout(self.task, idle_limit(budget), idle=True)
        if total.wall > ceiling(budget):
            raise MachineBusy(self.task, total.wall)

    def charge(self, usage: Usage) -> None:
        if self.task is not None:
            self.used[self.task] = self.usage() + usage
