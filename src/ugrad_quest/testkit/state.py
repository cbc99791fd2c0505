"""Facts the runner's plugin records in the child before any learner code runs."""

BASELINE_RECURSION_LIMIT = 1000
"""sys.getrecursionlimit() before the learner's code was imported."""
