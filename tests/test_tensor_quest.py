"""The tensor quest's machinery: starting it (Python only), the worker importing ugrad/tensor.py, the
judge's oracle, and engines written in other numpy styles. (Each fixture's verdicts: test_tensor_suite.)"""

from __future__ import annotations

import json
import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from conftest import quest_command
from helpers import run_hidden_suite
from tensor_engines import tensor_workspace
from ugrad_quest.testkit import tensors as tk

TASKS = ["elementwise", "broadcast", "reduce", "matmul", "shape", "backprop", "logsumexp", "batched"]


def test_the_tensor_quest_has_no_rust_version(tmp_path: Path):
    result = quest_command("start", "tensor", "--lang", "rust", "--force", "--dir", str(tmp_path / "ws"), cwd=tmp_path)
    assert result.returncode == 2
    assert result.stderr.strip() == "Error: Quest 'tensor' cannot be done in rust yet (it has no rust starter)."
    assert not (tmp_path / "ws").exists()


def test_start_adds_tensor_py_and_a_correct_engine_passes_every_task(tmp_path: Path):
    ws = tmp_path / "ws"
    assert quest_command("start", "value", "--dir", str(ws), cwd=tmp_path).returncode == 0
    started = quest_command("start", "tensor", "--force", cwd=ws)
    assert started.returncode == 0, started.stderr
    assert (ws / "ugrad" / "tensor.py").is_file() and (ws / "ugrad" / "engine.py").is_file()

    stubs = json.loads(quest_command("check", "--json", "--task", "elementwise", cwd=ws).stdout)
    [task] = stubs["tasks"]
    assert task["status"] == "failed" and "Tensor.__init__ is not written yet (task elementwise)" in task["message"]

    for name in ("engine.py", "nn.py", "tensor.py"):
        shutil.copyfile(tensor_workspace("closures", tmp_path / "fixture") / "ugrad" / name, ws / "ugrad" / name)
    checked = quest_command("check", "--json", cwd=ws)
    report = json.loads(checked.stdout)
    assert [t["id"] for t in report["tasks"]] == TASKS
    assert all(t["status"] == "passed" for t in report["tasks"]), report["tasks"]
    assert checked.returncode == 0 and report["complete"]
    batched = report["tasks"][-1]["message"]
    assert "one full-batch epoch of the two moons (40 points): your Tensor " in batched
    assert "less CPU time with tensors (median of 21 pairs of runs side by side)" in batched


def _numeric_gradients(code: str, arrays: dict[str, np.ndarray], h: float = 1e-6) -> dict[str, np.ndarray]:
    """d out.sum() / d input by central differences, the program evaluated on values alone."""
    def total(values: dict[str, np.ndarray]) -> float:
        env = {n: tk.Dual(v, np.zeros((0, *v.shape))) for n, v in values.items()}
        exec(code, {}, env)
        return float(np.sum(env["out"].v))

    grads = {}
    for name, a in arrays.items():
        g = np.zeros_like(a)
        for i in np.ndindex(a.shape):
            up, down = a.copy(), a.copy()
            up[i] += h
            down[i] -= h
            g[i] = (total({**arrays, name: up}) - total({**arrays, name: down})) / (2 * h)
        grads[name] = g
    return grads


def test_the_oracle_agrees_with_central_differences():
    r = random.Random(14)
    programs = [tk.random_program(r) for _ in range(6)]
    programs += [("out = (a @ b).logsumexp(axis=0) * 2", {"a": (3, 4), "b": (4, 2)}),
                 ("out = (a.T.reshape(-1) / b.reshape(6)).exp().mean()", {"a": (2, 3), "b": (3, 2)}),
                 ("s = a.sum(axis=1, keepdims=True); out = (s - a) ** 2 + a.mean(axis=0).tanh()", {"a": (3, 2)})]
    for code, shapes in programs:
        arrays = {n: tk.array(r, s) for n, s in shapes.items()}
        _, grads = tk.expected(code, arrays)
        numeric = _numeric_gradients(code, arrays)
        for name in arrays:
            assert np.allclose(grads[name], numeric[name], rtol=1e-5, atol=1e-6), (code, name)


def test_a_wrong_gradient_is_told_with_its_numbers_and_its_cause(tmp_path: Path):
    # The closures engine with transpose's backward left as it was: named by task shape, others pass.
    ws = tmp_path / "transpose_not_undone"
    shutil.copytree(tensor_workspace("closures", tmp_path / "fixture"), ws)
    source = ws / "ugrad" / "tensor.py"
    source.write_text(source.read_text().replace("self.grad += out.grad.T", "self.grad += out.grad"))
    verdicts = run_hidden_suite("tensor", ws, tasks=["elementwise", "shape"])
    assert verdicts["elementwise"][0] == "passed"
    status, message = verdicts["shape"]
    assert status == "failed"
    assert message.startswith("out = a.")
    assert "transpose moves a's numbers, so its backward must move the gradient back: a.grad += out.grad.T" in message
    assert "(with a = Tensor([[" in message


@pytest.mark.parametrize("style", ["fortran_grads", "arrays_as_given"])
def test_other_numpy_styles_pass(tmp_path: Path, style: str):
    # Gradients in Fortran order, or data kept as the very array (or view) it was given: all correct.
    ws = tmp_path / style
    shutil.copytree(tensor_workspace("closures", tmp_path / "fixture"), ws)
    source = ws / "ugrad" / "tensor.py"
    text = source.read_text()
    if style == "fortran_grads":
        text = text.replace("self.grad = np.zeros_like(self.data)", "self.grad = np.zeros(self.data.shape, order='F')")
        text = text.replace("self.grad = np.ones_like(self.data)", "self.grad = np.ones(self.data.shape, order='F')")
    else:
        text = text.replace("self.data = np.asarray(data, dtype=np.float64)",
                            "self.data = data if isinstance(data, np.ndarray) and data.dtype == np.float64 "
                            "else np.asarray(data, dtype=np.float64)")
    source.write_text(text)
    verdicts = run_hidden_suite("tensor", ws, tasks=["elementwise", "broadcast", "shape", "backprop"])
    assert {task: status for task, (status, _) in verdicts.items()} == dict.fromkeys(
        ["elementwise", "broadcast", "shape", "backprop"], "passed"), verdicts
