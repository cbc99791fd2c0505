"""The value quest's hidden suite, checked against fixture engines whose verdicts are known.

Correct engines in several styles must pass every task (a recursive topological sort fails only
the bonus deep-graphs); each buggy engine has one bug and must fail the task that covers it, with
a message naming the bug, and pass the tasks that bug does not touch. A task fails on a bug in
another task's operation only where it uses that operation (backprop uses + - * / ** relu, so a
wrong ** or relu fails it too, with a message pointing at the other task).

Every engine runs in its own child process, as the runner does it; the runs happen in parallel,
once per session.
"""

from __future__ import annotations

import os
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import ENGINES, assert_verdicts, run_hidden_suite_raw, summarize

TASKS = ("add-mul", "more-ops", "relu", "tanh-exp", "backprop", "deep-graphs")
P = ("passed", "")


def F(substring: str) -> tuple[str, str]:
    return ("failed", substring)


ACCUMULATE = "must accumulate (+=), not overwrite"
ORDER = "reversed topological order"
RECURSION = "explicit stack (a loop), not recursion"

# engine: statuses of add-mul, more-ops, relu, tanh-exp, backprop, deep-graphs
# ("failed", s): the task fails and its first failing message contains s.
EXPECTED: dict[str, tuple] = {
    # correct engines
    "micrograd": (P, P, P, F("Value has no tanh() method: add tanh() and exp()"), P, F(RECURSION)),
    "closures_recursive": (P, P, P, P, P, F(RECURSION)),
    "iterative_closures": (P, P, P, P, P, P),
    "iterative_slots": (P, P, P, P, P, P),
    "local_grads_kahn": (P, P, P, P, P, P),
    "tanh_via_exp": (P, P, P, P, P, P),
    # one bug each
    "overwrite_grad": (F(ACCUMULATE), P, P, P, F(ACCUMULATE), F("expected 1 and 10000")),
    "swapped_mul_grads": (F("mul gradients swapped"), P, P, P, F("mul gradients swapped"), F("a.grad")),
    "no_radd": (F("Value has no __radd__"), P, P, P, P, P),
    "wrong_pow_derivative": (P, F("d(x**k)/dx = k * x**(k-1)"), P, P, F("see task more-ops"), P),
    "wrong_rsub": (P, F("__rsub__(self, other) computes other - self"), P, P, P, P),
    "relu_wrong_side": (P, P, F("relu passes the gradient only where x > 0"), P, F("see task relu"), P),
    "relu_ignores_out_grad": (P, P, F("must multiply its local derivative by out.grad (the chain rule"), P,
                              F("(the chain rule"), P),
    "wrong_tanh_derivative": (P, P, P, F("d tanh(x)/dx = 1 - tanh(x)**2"), P, P),
    "wrong_exp_derivative": (P, P, P, F("d exp(x)/dx = exp(x)"), P, P),
    "wrong_topo_order": (P, P, P, P, F(ORDER), P),
    "topo_no_dedup": (P, P, P, P, F(ORDER), P),
    "topo_marked_on_push": (P, P, P, P, F(ORDER), P),
    "topo_not_reversed": (F(ORDER), F(ORDER), F(ORDER), F(ORDER), F(ORDER), F("expected")),
    "iadd_in_place": (P, P, P, P, F("+= must not change a Value in place"), P),
    "grad_starts_at_one": (F("grad must start at 0"), F("grad must start at 0"), F("grad must start at 0"),
                           F("grad must start at 0"), F("grad must start at 0"), F("a.grad")),
    "limit_in_backward": (P, P, P, P, P, F("changed the recursion limit")),
    "limit_at_import": (P, P, P, P, P, F(RECURSION)),
    "hardcoded_readme": (F(ACCUMULATE), P, P, P, F(ACCUMULATE), F("expected 1 and 10000")),
    # missing operations: a task never needs another task's operations beyond the ones it lists
    "no_relu": (P, P, F("Value has no relu() method: add relu()"), P, F("Value has no relu() method"), P),
    "only_add_mul": (P, F("Value has no __pow__"), F("Value has no relu() method"),
                     F("Value has no tanh() method"), F("Value has no __"), P),
}


def _workspace(name: str) -> tuple[Path, str]:
    if name == "micrograd":
        return Path(tempfile.mkdtemp(prefix="ugrad-empty-")), "micrograd"
    return ENGINES / name, "ugrad"


@pytest.fixture(scope="session")
def suite_runs():
    """{engine: (events, wall seconds)} for every engine in EXPECTED, run in parallel."""
    names = list(EXPECTED)
    try:
        import micrograd  # noqa: F401
    except ImportError:
        names.remove("micrograd")

    def run(name):
        workspace, package = _workspace(name)
        return name, run_hidden_suite_raw("value", workspace, package)

    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        return dict(pool.map(run, names))


def test_every_fixture_engine_is_in_the_table():
    assert sorted(p.name for p in ENGINES.iterdir() if (p / "ugrad" / "engine.py").is_file()) == \
        sorted(n for n in EXPECTED if n != "micrograd")


@pytest.mark.parametrize("name", list(EXPECTED))
def test_engine_gets_the_expected_verdicts(name, suite_runs):
    if name not in suite_runs:
        pytest.skip("micrograd is not installed (pip install micrograd==0.1.0)")
    assert_verdicts(suite_runs[name], TASKS, EXPECTED[name])


def test_hardcoding_the_readme_answer_does_not_pass(suite_runs):
    readme = [t for t in suite_runs["hardcoded_readme"].tests
              if t.nodeid.endswith("test_micrograd_readme_expression")]
    assert [t.outcome for t in readme] == ["failed"]
    # The README's own numbers fool the test; the fresh a and b that follow them do not.
    message = readme[0].message
    assert "a = Value(" in message and not ("a = Value(-4.0)" in message and "b = Value(2.0)" in message)


def test_inputs_are_fresh_on_every_run():
    workspace = ENGINES / "overwrite_grad"
    first = summarize(run_hidden_suite_raw("value", workspace, tasks=["add-mul"]))["add-mul"]
    second = summarize(run_hidden_suite_raw("value", workspace, tasks=["add-mul"]))["add-mul"]
    assert first[0] == second[0] == "failed"
    assert first[1] != second[1]  # the same bug, shown on different numbers


def test_suite_leaves_the_workspace_exactly_as_it_was(tmp_path):
    import shutil

    from conftest import snapshot

    shutil.copytree(ENGINES / "iterative_closures", tmp_path / "ws")
    before = snapshot(tmp_path / "ws")
    result = run_hidden_suite_raw("value", tmp_path / "ws", tasks=["add-mul", "backprop"])
    assert summarize(result)["backprop"][0] == "passed"
    assert snapshot(tmp_path / "ws") == before
