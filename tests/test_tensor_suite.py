"""The tensor quest's hidden suite, checked against fixture engines whose verdicts are known.

Correct engines in two styles (closures; a Function class per operation with a tape) pass every
task. Each buggy engine is the tape engine with one bug (tests/fixtures/engines/tensor/bugs.toml):
it fails the task that owns the bug, with a message naming it, and passes the tasks that bug does not
touch. A later task fails on an earlier task's bug only where it uses that operation (backprop's
programs broadcast and multiply matrices; batched's net adds biases, multiplies and takes a mean), and
batched, which times two nets for seconds, runs only on the correct engines and those bugs. A later
task that fails on an earlier task's bug names that task ("see task broadcast").

Every engine runs in its own child process, as the runner does it; the runs happen in parallel,
once per session.
"""

from __future__ import annotations

import os
from concurrent.futures import ThreadPoolExecutor

import pytest

from helpers import assert_verdicts, run_hidden_suite_raw, summarize
from tensor_engines import BUGS, CORRECT, tensor_source, tensor_workspace

TASKS = ("elementwise", "broadcast", "reduce", "matmul", "shape", "backprop", "logsumexp", "batched")
P = ("passed", "")
SKIP = None  # batched times both nets for seconds: run only where the bug is in what its net uses


def F(substring: str) -> tuple[str, str]:
    return ("failed", substring)


SUM_BACK = "sum it back over the axes that were broadcast"
ACCUMULATE = "must add into .grad (self.grad += ...), never assign it"
ORDER = "reversed topological order"

# engine: statuses of elementwise, broadcast, reduce, matmul, shape, backprop, logsumexp, batched
# ("failed", s): the task fails and its first failing message contains s ("": any message);
# SKIP: not run.
EXPECTED: dict[str, tuple] = {
    # correct engines
    "closures": (P, P, P, P, P, P, P, P),
    "tape": (P, P, P, P, P, P, P, P),
    # one bug each; the task owning it (bugs.toml's task) is the first to fail
    "broadcast_shape_kept": (P, F("it kept the broadcast shape of out: " + SUM_BACK), P, P, P,
                             F("see task broadcast"), P, F("")),
    "column_axis_dropped": (P, F("keepdims=True"), P, P, P, F("see task broadcast"), P, SKIP),
    "reduce_ignores_axis": (P, P, F("a backward that ignores axis or keepdims fits only some shapes"), P, P, P, P,
                            SKIP),
    "mean_without_n": (P, P, F("the mean's backward needs its 1/n too"), P, P, P, P, F("")),
    "matmul_not_transposed": (P, P, P, F("each gradient has its input's shape, and the other factor is transposed"),
                              P, F("see task matmul"), P, F("")),
    "transpose_not_undone": (P, P, P, P, F("its backward must move the gradient back: a.grad += out.grad.T"), P, P,
                             SKIP),
    "reshape_not_undone": (P, P, P, P, F("a.grad += out.grad.reshape(a's shape"), P, P, SKIP),
    "grad_overwritten": (P, P, P, P, P, F(ACCUMULATE), P, SKIP),
    "diamond_breadth_first": (P, P, P, P, P, F(ORDER), P, SKIP),
    "naive_logsumexp": (P, P, P, P, P, P, F("exp(1000) overflows float64 to inf"), SKIP),
    "logsumexp_grad_unnormalised": (P, P, P, P, P, P, F("the gradient of logsumexp is the softmax of x"), SKIP),
}

def _run(name: str) -> tuple[str, ...]:
    """The tasks run on the engine `name`: those its row does not SKIP."""
    return tuple(task for task, want in zip(TASKS, EXPECTED[name]) if want is not SKIP)


@pytest.fixture(scope="session")
def suite_runs(tmp_path_factory):
    """{engine: SuiteResult} for every engine in EXPECTED, run in parallel."""
    dest = tmp_path_factory.mktemp("tensor-engines")

    def run(name):
        return name, run_hidden_suite_raw("tensor", tensor_workspace(name, dest), tasks=list(_run(name)))

    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        return dict(pool.map(run, EXPECTED))


def test_every_fixture_engine_is_in_the_table():
    assert sorted(EXPECTED) == sorted((*CORRECT, *BUGS))


@pytest.mark.parametrize("name", sorted(BUGS))
def test_each_bug_is_one_change_owned_by_one_task(name):
    bug = BUGS[name]
    assert bug["task"] in TASKS[:-1] and bug["about"].strip()
    assert tensor_source(name) != tensor_source(bug.get("base", "tape"))  # every find still fits, once
    # The owner is the first task to fail, and it fails with the bug's own message.
    statuses = [want[0] for want in EXPECTED[name] if want is not SKIP]
    assert statuses.index("failed") == _run(name).index(bug["task"])


@pytest.mark.parametrize("name", list(EXPECTED))
def test_engine_gets_the_expected_verdicts(name, suite_runs):
    assert_verdicts(suite_runs[name], _run(name), tuple(want for want in EXPECTED[name] if want is not SKIP))


def test_inputs_are_fresh_on_every_run(tmp_path):
    workspace = tensor_workspace("broadcast_shape_kept", tmp_path)
    first = summarize(run_hidden_suite_raw("tensor", workspace, tasks=["broadcast"]))["broadcast"]
    second = summarize(run_hidden_suite_raw("tensor", workspace, tasks=["broadcast"]))["broadcast"]
    assert first[0] == second[0] == "failed"
    assert first[1] != second[1]  # the same bug, shown on different numbers
