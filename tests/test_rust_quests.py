"""Rust learners: fixture crates judged through `quest start --lang rust` and `quest check`, as a new
user runs them (the real command in a subprocess, cargo building the driver against the crate).

Each crate in tests/fixtures/rust is a whole learner crate; its src/ is laid over the scaffolded
workspace, as a learner's edits would be. Correct crates in three styles must pass; each buggy crate
has one bug and must fail the task that owns it, with a message naming it in Rust terms where the
failure is Rust's own (a todo!(), a RefCell borrowed twice, a stack overflow). See
tests/fixtures/rust/EXPECTED.md for the whole table.
"""

from __future__ import annotations

import json
import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import FIXTURES, quest_command
from ugrad_quest.runner.cargo import cargo_command

CRATES = FIXTURES / "rust"
pytestmark = pytest.mark.skipif(cargo_command() is None, reason="cargo is not installed (rustup.rs)")

P = ("passed", "")


def F(text: str = "") -> tuple[str, str]:
    return ("failed", text)


def T(text: str = "") -> tuple[str, str]:
    return ("timeout", text)


ACCUMULATE = "must accumulate (+=), not overwrite"
ORDER = "reversed topological order"
VALUE_TASKS = ("add-mul", "more-ops", "relu", "tanh-exp", "backprop", "deep-graphs")
VALUE = {
    "rc_kahn": (P, P, P, P, P, P),
    "arena": (P, P, P, P, P, P),
    "arc": (P, P, P, P, P, P),
    "assign_grad": (F(ACCUMULATE), P, P, P, F(ACCUMULATE), F("expected 1 and 10000")),
    "wrong_pow_derivative": (P, F("d(x**k)/dx = k * x**(k-1)"), P, P, F("see task more-ops"), P),
    "relu_todo": (P, P, F("Value::relu is not written yet (it reached todo!() at src/engine.rs, line"), P,
                  F("Value::relu is not written yet"), P),
    "wrong_tanh_derivative": (P, P, P, F("d tanh(x)/dx = 1 - tanh(x)**2"), P, P),
    "preorder_backward": (P, P, P, P, F(ORDER), P),
    "double_borrow": (P, P, P, P, F("a RefCell was borrowed while it was already borrowed"), P),
    "recursive_topo": (P, P, P, P, P, F("the stack overflowed in Value::backward")),
    "infinite_loop_backward": (T("while in Value::backward"),) * 5 + (T(),),
}
MLP_TASKS = ("neuron", "layer", "mlp", "zero-grad", "train")
MLP = {
    "rc_kahn": (P, P, P, P, P),
    "arena": (P, P, P, P, P),
    "arc": (P, P, P, P, P),
    "parameter_copies": (F(), F(), F(), F(), F("not copies")),
    "relu_on_last_layer": (P, P, F("the last layer applied a nonlinearity"), P, F("expected at least 95%")),
    "zero_grad_noop": (P, P, P, F("zero_grad()"), P),
}


def _start(ws: Path, env: dict, quest: str, *flags: str) -> None:
    started = quest_command("start", quest, "--dir", str(ws), *flags, cwd=ws.parent, env=env)
    assert started.returncode == 0, started.stderr


def _lay_over(crate: str, ws: Path) -> None:
    """The learner's edits: the crate's src/ over the scaffolded one."""
    shutil.rmtree(ws / "src")
    shutil.copytree(CRATES / crate / "src", ws / "src")


def _check(ws: Path, env: dict, quest: str) -> dict:
    run = quest_command("check", quest, "--json", cwd=ws, env=env, timeout=900)
    assert run.returncode in (0, 1) and "Traceback" not in run.stderr, run.stderr
    return json.loads(run.stdout)


@pytest.fixture(scope="module")
def judged(tmp_path_factory) -> dict[str, dict[str, dict]]:
    """{crate: {quest: check --json}} for every crate in the tables, value and mlp checked in one
    workspace (mlp started with --force where value does not pass), two crates at a time."""
    # A module fixture runs outside the per-test QUEST_HOME: every command gets its own, and one
    # shared cache folder for the driver builds.
    cache = tmp_path_factory.mktemp("cargo-cache")

    def judge(crate: str):
        ws = tmp_path_factory.mktemp(crate) / "ws"
        env = {"QUEST_CACHE": str(cache), "QUEST_HOME": str(ws.parent / "progress")}
        _start(ws, env, "value", "--lang", "rust")
        _lay_over(crate, ws)
        results = {"value": _check(ws, env, "value")} if crate in VALUE else {}
        if crate in MLP:
            _start(ws, env, "mlp", "--force")
            results["mlp"] = _check(ws, env, "mlp")
        return crate, results

    with ThreadPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(judge, sorted(set(VALUE) | set(MLP))))


def _verdicts(report: dict) -> dict[str, tuple[str, str]]:
    return {t["id"]: (t["status"], t["message"]) for t in report["tasks"]}


def _assert(report: dict, tasks: tuple[str, ...], expected: tuple) -> None:
    got = _verdicts(report)
    problems = []
    for task, (status, text) in zip(tasks, expected):
        have, message = got[task]
        if have != status or text not in message:
            problems.append(f"{task}: {have} {message!r} (expected {status} with {text!r})")
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("crate", sorted(VALUE))
def test_value_quest_judges_the_crate(judged, crate):
    _assert(judged[crate]["value"], VALUE_TASKS, VALUE[crate])


@pytest.mark.parametrize("crate", sorted(MLP))
def test_mlp_quest_judges_the_crate(judged, crate):
    _assert(judged[crate]["mlp"], MLP_TASKS, MLP[crate])
