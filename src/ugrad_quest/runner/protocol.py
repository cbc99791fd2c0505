"""The contract between the runner (the `quest` process) and the judge (pytest with our plugin, its
child): environment names and result lines.

The child appends one JSON object per line to the results file as tests finish, so a child that
dies half-way still leaves every result it reached, and a missing final "done" line proves it died.
"""

ENV_RESULTS = "UGRAD_QUEST_RESULTS"
ENV_PACKAGE = "UGRAD_QUEST_PACKAGE"
ENV_WORKSPACE = "UGRAD_QUEST_WORKSPACE"
ENV_TIMEOUTS = "UGRAD_QUEST_TASK_TIMEOUTS"  # JSON {task_id: seconds}
ENV_ONLY = "UGRAD_QUEST_ONLY_TASKS"  # comma-separated task ids; empty = all
ENV_PARENT_PID = "UGRAD_QUEST_PARENT_PID"  # the judge dies with this process
ENV_SPEED_TOLERANCE = "UGRAD_QUEST_SPEED_TOLERANCE"  # quest verify: a re-measured speed tier counts within this fraction
ENV_LANG = "UGRAD_QUEST_LANG"  # python (default) or rust
ENV_DRIVER = "UGRAD_QUEST_DRIVER"  # rust: the driver built against the learner's crate
ENV_BASELINE_DRIVER = "UGRAD_QUEST_BASELINE_DRIVER"  # rust: the driver built against the quest's baseline crate
ENV_STACK_KIB = "UGRAD_QUEST_STACK_KIB"  # rust: stack of the thread that runs the learner's engine

EVENT_COLLECTED = "collected"  # {"tests": [{"nodeid", "task"}]}
EVENT_TEST = "test"  # {"nodeid", "task", "outcome", "message", "duration", "cpu" (the task's worker CPU so far), "measured"?}
EVENT_COLLECT_ERROR = "collect-error"  # {"nodeid", "message"}
EVENT_NOTE = "note"  # {"message"}: something the learner should know once per check (no confinement here)
EVENT_DONE = "done"

# Outcomes of one test, and statuses of one task (a task takes the worst of its tests).
PASSED, FAILED, ERROR, TIMEOUT = "passed", "failed", "error", "timeout"
SEVERITY = {PASSED: 0, FAILED: 1, ERROR: 2, TIMEOUT: 3}

CEILING_FACTOR = 10.0
CEILING_SLACK_SECONDS = 30.0


def ceiling(budget: float) -> float:
    """Wall seconds a task may take in the worker before the machine, not the code, is blamed: the
    judge's backstop per task, and (summed) the runner's for the whole judge (runner/budget.py)."""
    return CEILING_FACTOR * budget + CEILING_SLACK_SECONDS
