"""The contract between the runner (parent) and its pytest plugin (child): environment names and result lines.

The child appends one JSON object per line to the results file as tests finish, so a child that
dies half-way still leaves every result it reached, and a missing final "done" line proves it died.
"""

ENV_RESULTS = "UGRAD_QUEST_RESULTS"
ENV_PACKAGE = "UGRAD_QUEST_PACKAGE"
ENV_WORKSPACE = "UGRAD_QUEST_WORKSPACE"
ENV_TIMEOUTS = "UGRAD_QUEST_TASK_TIMEOUTS"  # JSON {task_id: seconds}
ENV_ONLY = "UGRAD_QUEST_ONLY_TASKS"  # comma-separated task ids; empty = all

EVENT_COLLECTED = "collected"  # {"tests": [{"nodeid", "task"}]}
EVENT_TEST = "test"  # {"nodeid", "task", "outcome", "message", "duration"}
EVENT_COLLECT_ERROR = "collect-error"  # {"nodeid", "message"}
EVENT_DONE = "done"

# Outcomes of one test, and statuses of one task (a task takes the worst of its tests).
PASSED, FAILED, ERROR, TIMEOUT = "passed", "failed", "error", "timeout"
SEVERITY = {PASSED: 0, FAILED: 1, ERROR: 2, TIMEOUT: 3}
