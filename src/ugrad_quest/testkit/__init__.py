"""Helpers for hidden test suites, imported by the tests inside the child process.

- ``state``: facts the runner's plugin records before any learner code is imported.
- ``oracle``: forward-mode dual numbers in float64, the independent source of expected values.
- ``checks``: calling a learner's engine with errors translated into learner terms, number
  comparison, and single-operation checks that name known bugs.
- ``graphs``: small expression programs (hand-written or drawn by hypothesis), run on the
  learner's ``Value`` and on the oracle and compared node by node.
- ``nets``: the mlp quest's probes of neurons, layers and MLPs, two moons, and its training loop.

This module imports nothing heavy: the plugin imports ``state`` in every child process.
"""
