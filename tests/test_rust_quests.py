"""Rust learners: fixture crates judged through `quest start --lang rust` and `quest check`, as a new
user runs them (the real command in a subprocess, cargo building the driver against the crate).

Each crate in tests/fixtures/rust is a whole learner crate; its src/ is laid over the scaffolded
workspace, as a learner's edits would be. Correct crates in three styles must pass; each buggy crate
has one bug and must fail the task that owns it, with a message naming it in Rust terms where the
failure is Rust's own (a todo!(), a RefCell borrowed twice, a stack overflow). See
tests/fixtures/rust/EXPECTED.md for the whole table and bugs.toml for the bugs.
"""

from __future__ import annotations

import json
import shutil
import tomllib
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import quest_command
from rust_crates import CRATES, make_crate
from ugrad_quest.runner.cargo import cargo_command, cargo_env

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
    # the stub reached is named, not the nn item the check called
    "relu_todo": (F("Value::relu is not written yet (it reached todo!() at src/engine.rs, line"),) * 5,
}


def _start(ws: Path, env: dict, quest: str, *flags: str) -> None:
    started = quest_command("start", quest, "--dir", str(ws), *flags, cwd=ws.parent, env=env)
    assert started.returncode == 0, started.stderr


def _lay_over(crate: str, ws: Path) -> None:
    """The learner's edits: the crate's src/ over the scaffolded one."""
    made = make_crate(crate, ws.parent / f"{crate}-crate")
    shutil.rmtree(ws / "src")
    shutil.copytree(made / "src", ws / "src")


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


OPTIMIZE_TASKS = ("still-correct", "speedup-2x", "speedup-5x", "speedup-20x", "speedup-60x")


def test_the_rust_quest_line_as_a_new_user(tmp_path: Path):
    """value -> mlp -> optimize in one crate, writing the rc_kahn engine file by file into the scaffold."""
    ws, env = tmp_path / "ws", {"QUEST_CACHE": str(tmp_path / "cache"), "QUEST_HOME": str(tmp_path / "progress")}
    started = quest_command("start", "value", "--lang", "rust", "--dir", str(ws), cwd=tmp_path, env=env)
    assert started.returncode == 0, started.stderr
    assert "created  Cargo.toml" in started.stdout and "edit src/engine.rs" in " ".join(started.stdout.split())
    manifest = tomllib.loads((ws / "Cargo.toml").read_text())
    assert manifest["package"]["name"] == "ugrad" and "lib" in manifest
    assert not manifest.get("dependencies") and "features" not in manifest
    stubs = _check(ws, env, "value")
    assert not stubs["passed"]
    assert "Value::new is not written yet (it reached todo!() at src/engine.rs" in stubs["tasks"][0]["message"]

    shutil.copyfile(CRATES / "rc_kahn" / "src" / "engine.rs", ws / "src" / "engine.rs")
    value = _check(ws, env, "value")
    assert value["passed"] and value["complete"] and value["next_quest"] == "mlp", value

    mlp_start = quest_command("start", "mlp", cwd=ws / "src", env=env)  # no flag: the workspace is Rust
    assert mlp_start.returncode == 0, mlp_start.stderr
    assert "created  src/nn.rs" in mlp_start.stdout and "pub mod nn; to src/lib.rs" in mlp_start.stdout
    assert (ws / "src" / "lib.rs").read_text().splitlines()[-2:] == ["pub mod engine;", "pub mod nn;"]
    assert not _check(ws, env, "mlp")["passed"]
    shutil.copyfile(CRATES / "rc_kahn" / "src" / "nn.rs", ws / "src" / "nn.rs")
    mlp = _check(ws, env, "mlp")
    assert mlp["passed"] and mlp["next_quest"] == "optimize", mlp

    assert quest_command("start", "optimize", cwd=ws, env=env).returncode == 0
    assert "pub mod train;" in (ws / "src" / "lib.rs").read_text()
    optimize = {t["id"]: t for t in _check(ws, env, "optimize")["tasks"]}
    # The starter's plain train_step is right and about as fast as the plain baseline: no tier.
    assert optimize["still-correct"]["status"] == "passed", optimize["still-correct"]
    assert all(optimize[t]["status"] == "failed" for t in OPTIMIZE_TASKS[1:]), optimize
    assert "2x needs <= " in optimize["speedup-2x"]["message"]

    # The first hint's profiling command finishes in seconds of CPU time.
    import resource
    import subprocess

    cargo = cargo_command()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    run = subprocess.run([cargo, "run", "--offline", "--release", "--example", "profile_step"], cwd=ws,
                         capture_output=True, text=True, timeout=600, env=cargo_env())
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    assert run.returncode == 0, run.stderr[-2000:]
    assert (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime) < 120


@pytest.mark.parametrize("crate,expected", [
    ("arc", (P,) * 5),
    ("no_regularisation", (F("regularisation"), F("not timed"), F("not timed"), F("not timed"), F("not timed"))),
])
def test_optimize_quest_judges_the_crate(tmp_path: Path, crate, expected):
    ws, env = tmp_path / "ws", {"QUEST_CACHE": str(tmp_path / "cache"), "QUEST_HOME": str(tmp_path / "progress")}
    _start(ws, env, "value", "--lang", "rust")
    _lay_over(crate, ws)
    _start(ws, env, "optimize", "--force")
    _assert(_check(ws, env, "optimize"), OPTIMIZE_TASKS, expected)


def test_a_compile_error_is_every_tasks_error_with_the_first_diagnostic(tmp_path: Path):
    ws, env = tmp_path / "ws", {"QUEST_CACHE": str(tmp_path / "cache"), "QUEST_HOME": str(tmp_path / "progress")}
    _start(ws, env, "value", "--lang", "rust")
    _lay_over("rc_kahn", ws)
    source = (ws / "src" / "engine.rs").read_text()
    broken = source.replace("pub fn data(&self) -> f64 {", "pub fn data(&self) -> f64 {\n        let oops: f64 = \"1\";", 1)
    assert broken != source
    (ws / "src" / "engine.rs").write_text(broken)
    line = broken.splitlines().index('        let oops: f64 = "1";') + 1
    report = _check(ws, env, "value")
    assert {t["status"] for t in report["tasks"]} == {"error"}
    assert report["tasks"][0]["message"].startswith(
        f"your crate did not compile: src/engine.rs:{line}:25: error[E0308]: mismatched types"), report["tasks"][0]
    shown = quest_command("check", cwd=ws, env=env)
    assert shown.returncode == 1 and "error[E0308]" in shown.stdout and "Traceback" not in shown.stderr


def test_println_in_the_learners_engine_never_corrupts_the_protocol(tmp_path: Path):
    ws, env = tmp_path / "ws", {"QUEST_CACHE": str(tmp_path / "cache"), "QUEST_HOME": str(tmp_path / "progress")}
    _start(ws, env, "value", "--lang", "rust")
    _lay_over("rc_kahn", ws)
    source = (ws / "src" / "engine.rs").read_text()
    noisy = source.replace("pub fn data(&self) -> f64 {",
                           'pub fn data(&self) -> f64 {\n        println!("{{\\"r\\": [1]}}");\n'
                           '        eprintln!("data read");', 1)
    (ws / "src" / "engine.rs").write_text(noisy)
    report = _check(ws, env, "value")
    assert report["passed"], [t for t in report["tasks"] if t["status"] != "passed"]
    shown = quest_command("check", cwd=ws, env=env)
    assert "your code printed" in shown.stdout and '{"r": [1]}' in shown.stdout


def test_a_rust_bundle_exports_and_verifies_by_building_the_crate_again(tmp_path: Path):
    ws, env = tmp_path / "ws", {"QUEST_CACHE": str(tmp_path / "cache"), "QUEST_HOME": str(tmp_path / "progress")}
    _start(ws, env, "value", "--lang", "rust")
    shutil.copyfile(CRATES / "rc_kahn" / "src" / "engine.rs", ws / "src" / "engine.rs")
    assert _check(ws, env, "value")["passed"]
    bundle = tmp_path / "ada.json"
    assert quest_command("export", str(bundle), cwd=ws, env=env).returncode == 0
    snapshots = json.loads(bundle.read_text())["snapshots"]
    assert all(set(files) == {"Cargo.toml", "src/lib.rs", "src/engine.rs"} for files in snapshots.values())
    stranger = {"QUEST_CACHE": str(tmp_path / "their-cache"), "QUEST_HOME": str(tmp_path / "theirs")}
    verified = quest_command("verify", str(bundle), "--json", cwd=tmp_path, env=stranger, timeout=900)
    report = json.loads(verified.stdout)
    assert verified.returncode == 0 and report["verified"], report
    assert {c["task"] for c in report["claims"] if c["status"] == "confirmed"} == set(VALUE_TASKS)


def test_a_build_that_runs_past_its_cpu_budget_is_stopped(tmp_path: Path):
    from ugrad_quest.runner.cargo import build_driver

    built = build_driver(CRATES / "rc_kahn", [], cache=tmp_path / "cache", cpu_budget=0.2)
    assert built.binary is None
    assert built.error == "building your crate took more than 0.2 s of CPU time"


ESCAPE = """
    pub fn new(data: f64) -> Value {{
        static ONCE: std::sync::Once = std::sync::Once::new();
        ONCE.call_once(|| {{
            let _ = std::fs::write("{ws}/pwned.txt", "written by the engine");
            let _ = std::fs::OpenOptions::new().append(true).open("{db}").map(|mut f| {{
                use std::io::Write;
                let _ = f.write_all(b"garbage");
            }});
            let _ = std::process::Command::new("/bin/sh").arg("-c").arg("touch {spawned}").status();
            let _ = std::net::TcpStream::connect("127.0.0.1:9");
        }});
        Value::from_op(data, Vec::new(), None)
    }}
"""


def test_a_crate_that_reaches_outside_its_worker_changes_nothing(tmp_path: Path):
    """The driver runs the learner's Rust in the same confinement as a Python worker: no writes outside
    its own folder (not the workspace, not the progress database), no processes, no network."""
    ws, home = tmp_path / "ws", tmp_path / "progress"
    env = {"QUEST_CACHE": str(tmp_path / "cache"), "QUEST_HOME": str(home)}
    _start(ws, env, "value", "--lang", "rust")
    _lay_over("rc_kahn", ws)
    source = (ws / "src" / "engine.rs").read_text()
    original = "    pub fn new(data: f64) -> Value {\n        Value::from_op(data, Vec::new(), None)\n    }\n"
    assert original in source
    (ws / "src" / "engine.rs").write_text(source.replace(original, ESCAPE.format(
        ws=ws, db=home / "progress.sqlite3", spawned=tmp_path / "spawned")))
    db_before = (home / "progress.sqlite3").read_bytes()
    report = _check(ws, env, "value")
    assert report["passed"]  # a correct engine otherwise: the attempts gained nothing and broke nothing
    assert not (ws / "pwned.txt").exists() and not (tmp_path / "spawned").exists()
    import sqlite3

    after = (home / "progress.sqlite3").read_bytes()
    assert not after.endswith(b"garbage") and len(after) >= len(db_before)  # (the snapshot holds the word)
    with sqlite3.connect(home / "progress.sqlite3") as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)


def test_a_toolchain_that_cannot_build_is_a_usage_error_not_the_learners(tmp_path: Path):
    ws, env = tmp_path / "ws", {"QUEST_CACHE": str(tmp_path / "cache"), "QUEST_HOME": str(tmp_path / "progress")}
    _start(ws, env, "value", "--lang", "rust")
    broken = quest_command("check", cwd=ws, env={**env, "RUSTUP_TOOLCHAIN": "no-such-toolchain"})
    assert broken.returncode == 2 and "Traceback" not in broken.stderr
    assert broken.stderr.startswith("Error: cargo could not build anything (") and len(broken.stderr.splitlines()) == 1
    assert "did not compile" not in broken.stdout + broken.stderr
