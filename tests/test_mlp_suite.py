"""The mlp quest's hidden suite, checked against fixture workspaces whose verdicts are known.

Each fixture in tests/fixtures/engines/mlp/ is a whole learner workspace: a correct engine (a copy
of the value quest's iterative_slots) and an nn.py. Correct nn.py files in three styles, and
micrograd itself (engine and nn from PyPI, checked as an installed package), must pass every task;
each buggy one has one bug and must fail the task that covers it with a message naming the bug.
A bug also fails the later tasks that cannot work without the part it breaks (copied parameters
cannot be trained), and the table pins down exactly which.

Every workspace runs in its own child process, as the runner does it; the runs happen in parallel,
once per session.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import ENGINES, assert_verdicts, run_hidden_suite_raw, summarize
from ugrad_quest.testkit import nets

MLP_FIXTURES = ENGINES / "mlp"
TASKS = ("neuron", "layer", "mlp", "zero-grad", "train")
P = ("passed", "")


def F(substring: str) -> tuple[str, str]:
    return ("failed", substring)


NOT_LIVE = "parameters() returned Values that are not the ones used in the forward pass"
NOTHING_TO_RESET = "so zero_grad() has nothing to reset"
UNTRAINED = "expected at least 95%"
LAST_NONLINEAR = "the last layer applied a nonlinearity: the output layer must be linear (nonlin=False)"
FLATTEN = "flatten the parameters into one list"
TANH = "looks like tanh(w . x + b): this quest follows micrograd's nn.py, where a neuron applies relu"

# workspace: statuses of neuron, layer, mlp, zero-grad, train
# ("failed", s): the task fails and its first failing message contains s.
EXPECTED: dict[str, tuple] = {
    # correct
    "micrograd": (P, P, P, P, P),
    "nn_micrograd_like": (P, P, P, P, P),
    "nn_slots_generators": (P, P, P, P, P),
    "nn_functional": (P, P, P, P, P),
    # one bug each
    "nn_missing_bias": (F("does each Neuron's parameters() include its bias b?"),
                        F("does each Neuron's parameters() include its bias b?"),
                        F("MLP(3, [4, 4, 1]).parameters() has 32 Values, expected 41"), P, F(UNTRAINED)),
    "nn_not_chained": (P, P, F("was given the original input instead of layer 1's output"), P, F(UNTRAINED)),
    "nn_nonlinear_last": (P, P, F(LAST_NONLINEAR), P, F(UNTRAINED)),
    "nn_zero_grad_noop": (P, P, P, F("zero_grad() must set p.grad = 0 for every p in self.parameters()"), P),
    "nn_parameters_copies": (F(NOT_LIVE), F(NOT_LIVE), F(NOT_LIVE), F(NOTHING_TO_RESET),
                             F("must return the live Values the forward pass uses, not copies")),
    "nn_always_relu": (F("nonlin=False must be linear"), F("nonlin=False must make every neuron linear"),
                       F(LAST_NONLINEAR), P, F(UNTRAINED)),
    "nn_bias_unused": (F("the bias does not change the output"), F("the bias does not change output"), P, P,
                       F(UNTRAINED)),
    "nn_graph_cut": (F("no gradient reached the weights and the bias"), P, F("no gradient reached the parameters"),
                     F(NOTHING_TO_RESET), F("only the gradient of the L2 term")),
    "nn_layer_drops_kwargs": (P, F("nonlin=False must make every neuron linear"), F(LAST_NONLINEAR), P,
                              F(UNTRAINED)),
    "nn_wrong_layer_sizes": (P, P, F("has 36 Values, expected 41 (4·(3+1) + 4·(4+1) + 1·(4+1)): every layer "
                                     "was built with 3 inputs"), P, F(UNTRAINED)),
    "nn_layer_unflattened": (P, F(FLATTEN), F(FLATTEN), F(FLATTEN), F(FLATTEN)),
    # micrograd's video, not its nn.py: tanh neurons (they can still learn the moons)
    "nn_tanh_neuron": (F(TANH), F(TANH), F("gave a negative output, "), P, P),
}
CORRECT = ["micrograd", "nn_micrograd_like", "nn_slots_generators", "nn_functional"]


def _workspace(name: str) -> tuple[Path, str]:
    if name == "micrograd":
        return Path(tempfile.mkdtemp(prefix="ugrad-empty-")), "micrograd"
    return MLP_FIXTURES / name, "ugrad"


def _has_micrograd() -> bool:
    try:
        import micrograd.engine  # noqa: F401
        import micrograd.nn  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def suite_runs():
    """{workspace: SuiteResult} for every workspace in EXPECTED, run in parallel (micrograd first:
    it is the slowest)."""
    names = list(EXPECTED)
    if not _has_micrograd():
        names.remove("micrograd")

    def run(name):
        workspace, package = _workspace(name)
        return name, run_hidden_suite_raw("mlp", workspace, package)

    with ThreadPoolExecutor(max_workers=max(2, min(4, os.cpu_count() or 2))) as pool:
        return dict(pool.map(run, names))


def test_every_fixture_workspace_is_in_the_table():
    assert sorted(p.name for p in MLP_FIXTURES.iterdir() if (p / "ugrad" / "nn.py").is_file()) == \
        sorted(n for n in EXPECTED if n != "micrograd")


def test_fixture_workspaces_are_whole_and_use_a_correct_engine():
    reference = (ENGINES / "iterative_slots" / "ugrad" / "engine.py").read_bytes()
    for folder in MLP_FIXTURES.iterdir():
        assert (folder / "ugrad" / "__init__.py").is_file(), folder.name
        assert (folder / "ugrad" / "engine.py").read_bytes() == reference, folder.name


@pytest.mark.parametrize("name", list(EXPECTED))
def test_workspace_gets_the_expected_verdicts(name, suite_runs):
    if name not in suite_runs:
        pytest.skip("micrograd is not installed (pip install micrograd==0.1.0)")
    assert_verdicts(suite_runs[name], TASKS, EXPECTED[name])


def test_inputs_are_fresh_on_every_run():
    workspace = MLP_FIXTURES / "nn_always_relu"
    first = summarize(run_hidden_suite_raw("mlp", workspace, tasks=["neuron"]))["neuron"]
    second = summarize(run_hidden_suite_raw("mlp", workspace, tasks=["neuron"]))["neuron"]
    assert first[0] == second[0] == "failed"
    assert first[1] != second[1]  # the same bug, shown on different numbers


def test_suite_leaves_the_workspace_exactly_as_it_was(tmp_path):
    from conftest import snapshot

    shutil.copytree(MLP_FIXTURES / "nn_micrograd_like", tmp_path / "ws")
    before = snapshot(tmp_path / "ws")
    result = run_hidden_suite_raw("mlp", tmp_path / "ws", tasks=["neuron", "mlp"])
    assert summarize(result)["mlp"][0] == "passed"
    assert snapshot(tmp_path / "ws") == before


# -- the helpers the suite relies on --------------------------------------------------------------------
def test_two_moons_is_fixed_balanced_and_standardised():
    xs, ys = nets.two_moons(40, 0.1, 3)
    assert (xs, ys) == nets.two_moons(40, 0.1, 3)
    assert xs != nets.two_moons(40, 0.1, 4)[0]
    assert len(xs) == 40 and ys.count(1.0) == ys.count(-1.0) == 20
    assert all(len(x) == 2 and all(-4 < v < 4 for v in x) for x in xs)
    # Not linearly trivial: the upper moon's ends dip below the lower moon's top.
    top_min = min(x[1] for x, y in zip(xs, ys) if y > 0)
    bottom_max = max(x[1] for x, y in zip(xs, ys) if y < 0)
    assert top_min < bottom_max


def test_tree_sum_is_a_shallow_sum():
    assert nets.tree_sum([1, 2, 3, 4, 5]) == 15
    assert nets.tree_sum([7]) == 7
    with pytest.raises(ValueError):
        nets.tree_sum([])
