"""Messages for mistakes found on real learner rebuilds, through the real hidden suites and runner.

Each workspace is a correct fixture engine with one change, made here so the test shows it: the
engine iterative_closures for the value quest, nn_micrograd_like for the mlp quest. The tests
assert the task, its status and the words the learner reads.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import pytest

from helpers import ENGINES, run_hidden_suite


def _variant(tmp_path: Path, base: str, file: str, *changes: tuple[str, str]) -> Path:
    """A copy of fixture workspace `base` with each (old, new) replaced once in ugrad/`file`."""
    workspace = tmp_path / "ws"
    shutil.copytree(ENGINES / base, workspace)
    path = workspace / "ugrad" / file
    source = path.read_text()
    for old, new in changes:
        assert source.count(old) >= 1, f"{old!r} is not in {base}/ugrad/{file}"
        source = source.replace(old, new)
    path.write_text(source)
    return workspace


def engine_with(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    return _variant(tmp_path, "iterative_closures", "engine.py", *changes)


def nn_with(tmp_path: Path, *changes: tuple[str, str]) -> Path:
    return _variant(tmp_path, "mlp/nn_micrograd_like", "nn.py", *changes)


POW_ASSERT = "assert isinstance(k, (int, float))"
POW_OUT = "out = Value(self.data**k, (self,))"


@pytest.mark.parametrize("change, words", [
    ((POW_ASSERT, "assert isinstance(k, Value)"),
     "raised AssertionError (ugrad/engine.py, line 77). __pow__ gets a plain number exponent (a ** 2 calls "
     "a.__pow__(2)), not a Value: assert isinstance(other, (int, float))"),
    ((POW_OUT, "out = Value(self.data**k.data, (self,))"),
     "raised AttributeError: 'int' object has no attribute 'data' (ugrad/engine.py, line 78). __pow__ gets a "
     "plain number exponent (a ** 2 calls a.__pow__(2)): use other itself, not other.data"),
    ((POW_ASSERT, "k = k if isinstance(k, Value) else Value(k)"),
     "__pow__ gets a plain number exponent (a ** 2 calls a.__pow__(2)): use it as it is, without wrapping "
     "it in a Value"),
], ids=["asserts-a-value", "reads-other-data", "wraps-the-exponent"])
def test_a_pow_that_wants_a_value_exponent_is_told_the_exponent_is_a_plain_number(tmp_path, change, words):
    status, message = run_hidden_suite("value", engine_with(tmp_path, change), tasks=["more-ops"])["more-ops"]
    assert status == "failed"
    assert "c = a ** 2 raised" in message and words in message
    assert "wrap numbers first" not in message


def test_python2_div_is_told_to_be_truediv(tmp_path):
    workspace = engine_with(tmp_path, ("def __truediv__(", "def __div__("), ("def __rtruediv__(", "def __rdiv__("))
    status, message = run_hidden_suite("value", workspace, tasks=["more-ops"])["more-ops"]
    assert status == "failed"
    assert message.endswith("c = a / b raised TypeError: Value defines __div__, which Python 3 never calls: "
                            "rename it __truediv__ (and __rdiv__ to __rtruediv__)")


def test_python2_rdiv_alone_is_told_to_be_rtruediv(tmp_path):
    workspace = engine_with(tmp_path, ("def __rtruediv__(", "def __rdiv__("))
    status, message = run_hidden_suite("value", workspace, tasks=["more-ops"])["more-ops"]
    assert status == "failed"
    assert " / a raised TypeError: Value defines __rdiv__, which Python 3 never calls: rename it __rtruediv__ " \
           "(for 2 / a, Python calls a.__rtruediv__(2))" in message


def test_params_instead_of_parameters_is_named(tmp_path):
    workspace = nn_with(tmp_path, ("parameters(", "params("))
    results = run_hidden_suite("mlp", workspace, tasks=["neuron", "mlp"])
    assert results["neuron"] == (
        "failed", "Neuron(1).parameters() raised AttributeError: 'Neuron' object has no attribute 'parameters': "
                  "Neuron has params() but the tests call parameters(), micrograd's name: rename params() to "
                  "parameters()")
    status, message = results["mlp"]
    assert status == "failed" and "MLP has params() but the tests call parameters()" in message


@pytest.mark.parametrize("change", [
    ("self.data = data\n", "self.data = np.array(data)\n"),
    ("self.data = data\n", "self.data = np.asarray(np.float64(data))\n"),
], ids=["np.array(data)", "np.asarray(np.float64(data))"])
def test_data_kept_as_a_numpy_array_is_told_to_store_a_float(tmp_path, change):
    pytest.importorskip("numpy", reason="the learner's engine here uses numpy (pip install numpy)")
    workspace = engine_with(tmp_path, ("import math\n", "import math\n\nimport numpy as np\n"), change)
    results = run_hidden_suite("value", workspace, tasks=["add-mul", "backprop"])
    for task in ("add-mul", "backprop"):
        status, message = results[task]
        assert status == "failed"
        assert ".data is a numpy array, array(" in message
        assert message.endswith("expected a plain number: store self.data = float(data) in __init__")


def test_a_tanh_from_exp_passes_with_a_note_that_it_overflows(tmp_path):
    workspace = engine_with(tmp_path, ("t = math.tanh(self.data)",
                                       "t = (math.exp(2 * self.data) - 1) / (math.exp(2 * self.data) + 1)"))
    status, message = run_hidden_suite("value", workspace, tasks=["tanh-exp"])["tanh-exp"]
    assert status == "passed"
    assert message == ("note: Value(400).tanh() raised OverflowError (ugrad/engine.py, line 94): tanh written with "
                       "exp(2x) overflows once |x| > 355, where tanh(x) is just ±1. It passes here (the micrograd "
                       "lecture writes it so), but a large input in training would stop it: math.tanh(x) has no "
                       "such limit")


def test_a_tanh_that_gives_nan_for_large_inputs_gets_the_note_too(tmp_path):
    workspace = engine_with(tmp_path, (
        "t = math.tanh(self.data)",
        "e = math.exp(2 * self.data) if self.data < 300 else float('inf')\n        t = (e - 1) / (e + 1)"))
    status, message = run_hidden_suite("value", workspace, tasks=["tanh-exp"])["tanh-exp"]
    assert status == "passed" and message.startswith("note: Value(400).tanh() gave nan: tanh written with exp(2x)")


def test_math_tanh_gets_no_note():
    assert run_hidden_suite("value", ENGINES / "iterative_closures", tasks=["tanh-exp"]) == \
        {"tanh-exp": ("passed", "")}


def test_a_missing_module_names_the_python_that_runs_the_learners_code(tmp_path):
    workspace = engine_with(tmp_path, ("import math\n", "import math\n\nimport numpy_not_installed_here\n"))
    status, message = run_hidden_suite("value", workspace, tasks=["add-mul"])["add-mul"]
    assert status == "error"
    # The worker runs on the interpreter that runs quest (here, the tests'), isolated from any user site.
    assert message == ("importing ugrad.engine failed: ModuleNotFoundError: No module named 'numpy_not_installed_here' "
                       f"in the Python that runs your code ({sys.executable}): `{sys.executable} -m pip install "
                       "numpy_not_installed_here` installs it there (ugrad/engine.py, line 8)")


def test_a_module_of_the_package_imported_without_it_is_not_sent_to_pip(tmp_path):
    workspace = nn_with(tmp_path, ("from .engine import Value", "from engine import Value"))
    status, message = run_hidden_suite("mlp", workspace, tasks=["neuron"])["neuron"]
    assert status == "error"
    assert message == ("importing ugrad.nn failed: ModuleNotFoundError: No module named 'engine': engine is a module "
                       "of your package ugrad, import it with the package's name, from .engine import ... (or from "
                       "ugrad.engine import ...) (ugrad/nn.py, line 7)")
    assert "pip" not in message
