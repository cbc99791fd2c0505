"""Facts the runner's plugin records in the child before any learner code runs."""

BASELINE_RECURSION_LIMIT = 1000
"""sys.getrecursionlimit() before the learner's code was imported."""

WORKSPACE = ""
"""The learner's workspace folder (on sys.path); hidden tests that start processes of their own pass it on."""

PACKAGE = "ugrad"
"""The name of the learner's package."""
