"""Helpers for hidden test suites, imported by the tests inside the judge (never by the worker).

- ``remote``: the learner's engine as proxies of a worker process (values, objects, modules), and
  the exceptions its code raised, rebuilt here.
- ``state``: facts the judge's plugin records (the workspace, the package).
- ``oracle``: forward-mode dual numbers in float64, the independent source of expected values.
- ``checks``: calling a learner's engine with errors translated into learner terms, number
  comparison, and single-operation checks that name known bugs.
- ``graphs``: small expression programs (hand-written or drawn by hypothesis), run on the
  learner's ``Value`` and on the oracle and compared node by node.
- ``nets``: the mlp quest's probes of neurons, layers and MLPs, two moons, and its training loop.
- ``speed``: timing a baseline and the learner's train_step in fresh workers by their CPU time.

This module imports nothing heavy: the plugin imports ``state`` in every judge.
"""
