"""The value quest can be passed in the order its tasks are listed, by following the starter alone.

A learner fills in the starter's stubs one task at a time, as each docstring says; at every stage
the tasks done so far pass and the next one fails on its own stub, never on a later task's.
"""

from __future__ import annotations

import ast
import shutil
import textwrap
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from helpers import QUESTS, run_hidden_suite

STARTER = QUESTS / "value" / "starter"
TASKS = ("add-mul", "more-ops", "relu", "tanh-exp", "backprop")

BODIES = {
    "__init__": """
        self.data = data
        self.grad = 0
        self._prev = tuple(_children)
        self._backward = lambda: None
    """,
    "__add__": """
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data + other.data, (self, other))
        def _backward():
            self.grad += out.grad
            other.grad += out.grad
        out._backward = _backward
        return out
    """,
    "__radd__": "return self + other",
    "__mul__": """
        other = other if isinstance(other, Value) else Value(other)
        out = Value(self.data * other.data, (self, other))
        def _backward():
            self.grad += other.data * out.grad
            other.grad += self.data * out.grad
        out._backward = _backward
        return out
    """,
    "__rmul__": "return self * other",
    # The first version add-mul's docstring asks for: a stack, no topological order yet.
    "backward": """
        self.grad = 1
        stack = [self]
        while stack:
            node = stack.pop()
            node._backward()
            stack.extend(node._prev)
    """,
    "__neg__": "return self * -1",
    "__sub__": "return self + (-other)",
    "__rsub__": "return other + (-self)",
    "__pow__": """
        out = Value(self.data ** other, (self,))
        def _backward():
            self.grad += other * self.data ** (other - 1) * out.grad
        out._backward = _backward
        return out
    """,
    "__truediv__": "return self * other ** -1",
    "__rtruediv__": "return other * self ** -1",
    "relu": """
        out = Value(0 if self.data < 0 else self.data, (self,))
        def _backward():
            self.grad += (out.data > 0) * out.grad
        out._backward = _backward
        return out
    """,
    "tanh": """
        t = math.tanh(self.data)
        out = Value(t, (self,))
        def _backward():
            self.grad += (1 - t ** 2) * out.grad
        out._backward = _backward
        return out
    """,
    "exp": """
        out = Value(math.exp(self.data), (self,))
        def _backward():
            self.grad += out.data * out.grad
        out._backward = _backward
        return out
    """,
}
TOPOLOGICAL = """
    topo, seen, stack = [], set(), [(self, False)]
    while stack:
        node, expanded = stack.pop()
        if expanded:
            topo.append(node)
        elif node not in seen:
            seen.add(node)
            stack.append((node, True))
            stack.extend((child, False) for child in node._prev)
    self.grad = 1
    for node in reversed(topo):
        node._backward()
"""
# The methods each task's docstrings name, in the quest's order.
STAGES = {
    "add-mul": {m: BODIES[m] for m in ("__init__", "__add__", "__radd__", "__mul__", "__rmul__", "backward")},
    "more-ops": {m: BODIES[m] for m in ("__neg__", "__sub__", "__rsub__", "__pow__", "__truediv__", "__rtruediv__")},
    "relu": {"relu": BODIES["relu"]},
    "tanh-exp": {m: BODIES[m] for m in ("tanh", "exp")},
    "backprop": {"backward": TOPOLOGICAL},
}


def fill_stubs(source: str, bodies: dict[str, str]) -> str:
    """The starter with the named methods' `raise NotImplementedError` replaced by a body."""
    lines = source.splitlines()
    stubs = {node.name: node.body[-1] for node in ast.walk(ast.parse(source))
             if isinstance(node, ast.FunctionDef) and isinstance(node.body[-1], ast.Raise)}
    for name in sorted(bodies, key=lambda n: -stubs[n].lineno):  # bottom up: line numbers stay valid
        stub = stubs[name]
        indent = " " * stub.col_offset
        body = textwrap.indent(textwrap.dedent(bodies[name]).strip("\n"), indent).splitlines()
        lines[stub.lineno - 1: stub.end_lineno] = body
    return "\n".join(lines) + "\n"


def test_stubs_are_found_for_every_method_the_stages_fill():
    source = (STARTER / "ugrad" / "engine.py").read_text(encoding="utf-8")
    done = fill_stubs(source, {m: b for stage in STAGES.values() for m, b in stage.items()})
    assert "NotImplementedError" not in done


@pytest.fixture(scope="module")
def stages(tmp_path_factory) -> dict[str, dict[str, tuple[str, str]]]:
    """{last task written: verdicts of the value suite} for each stage of the quest, run in parallel."""
    source = (STARTER / "ugrad" / "engine.py").read_text(encoding="utf-8")
    workspaces = {}
    written: dict[str, str] = {}
    for task, bodies in STAGES.items():
        written.update(bodies)
        ws = tmp_path_factory.mktemp(task)
        shutil.copytree(STARTER / "ugrad", ws / "ugrad")
        (ws / "ugrad" / "engine.py").write_text(fill_stubs(source, written), encoding="utf-8")
        workspaces[task] = ws

    def run(task: str):
        return task, run_hidden_suite("value", workspaces[task], tasks=list(TASKS))

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(run, STAGES))


@pytest.mark.parametrize("stage", TASKS)
def test_each_task_passes_once_its_own_stubs_are_written(stages, stage):
    verdicts = stages[stage]
    done = TASKS[: TASKS.index(stage) + 1]
    assert {t: verdicts[t] for t in done} == {t: ("passed", "") for t in done}


@pytest.mark.parametrize("stage", TASKS[:3])
def test_the_next_task_fails_on_its_own_stub(stages, stage):
    next_task = TASKS[TASKS.index(stage) + 1]
    status, message = stages[stage][next_task]
    assert status == "failed" and "is not written yet" in message, message
    # The stub named is the next task's own, never a later task's (backward is written from add-mul on).
    assert "Value.backward" not in message


def test_the_first_backward_fails_backprop_on_a_reused_node_not_on_a_stub(stages):
    status, message = stages["tanh-exp"]["backprop"]
    assert status == "failed" and "not written yet" not in message
    assert "topological order" in message, message


def test_the_backward_stub_tells_an_add_mul_learner_what_to_write(tmp_path: Path):
    shutil.copytree(STARTER / "ugrad", tmp_path / "ugrad")
    source = (STARTER / "ugrad" / "engine.py").read_text(encoding="utf-8")
    add_mul_without_backward = {m: b for m, b in STAGES["add-mul"].items() if m != "backward"}
    (tmp_path / "ugrad" / "engine.py").write_text(fill_stubs(source, add_mul_without_backward), encoding="utf-8")
    status, message = run_hidden_suite("value", tmp_path, tasks=["add-mul"])["add-mul"]
    assert status == "failed"
    assert "Value.backward is not written yet; task add-mul already calls it" in message, message
