"""Facts the judge's plugin records for hidden tests that start checks of their own (still-correct)."""

WORKSPACE = ""
"""The learner's workspace folder (never on the judge's sys.path: only the engine worker imports from it)."""

PACKAGE = "ugrad"
"""The name of the learner's package."""

DRIVERS = None
"""A Rust learner's engine: the runner's Drivers (learner, and the quest's baseline); None for Python."""
