"""Benchmark: checking a Rust crate against checking the equivalent Python engine, as ratios in one run.

  cold build             the driver and the crate from an empty cache folder
  build after an edit    one line of code added to src/engine.rs, the cache warm
  check after an edit    a whole `quest check value` after that edit (the build included)
  python check           a whole `quest check value` of the Python engine of the same design

The Rust crate is tests/fixtures/rust/rc_kahn (Rc<RefCell<..>>, Kahn's algorithm); the Python engine is
tests/fixtures/engines/local_grads_kahn (the same algorithm). Rounds interleave the four measurements;
every ratio is of medians, wall and CPU time (children included) separately. Run:
    python bench/rust_check.py [--rounds 5]
"""

from __future__ import annotations

import argparse
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RUST = ROOT / "tests" / "fixtures" / "rust" / "rc_kahn"
PYTHON = ROOT / "tests" / "fixtures" / "engines" / "local_grads_kahn"


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> tuple[float, float]:
    """(wall seconds, CPU seconds of the command and everything it ran)."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return wall, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)


def edited(source: str, mark: str) -> str:
    """The engine with one line of code changed: data() computes one more (unused) number, so the
    compiler has real work to redo, as after a learner's edit."""
    line = "pub fn data(&self) -> f64 {"
    assert line in source
    return source.replace(line, f"{line}\n        let _edit = std::hint::black_box({mark}_u64);", 1)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    quest = [sys.executable, "-m", "ugrad_quest"]
    from ugrad_quest.runner.cargo import cargo_command

    if cargo_command() is None:
        sys.exit("cargo is needed for this benchmark")
    with tempfile.TemporaryDirectory(prefix="ugrad-bench-rust-") as tmp:
        tmpdir = Path(tmp)
        env = {**os.environ, "QUEST_HOME": str(tmpdir / "home"), "QUEST_CACHE": str(tmpdir / "cache")}
        env.pop("QUEST_QUESTS_DIR", None)
        rust_ws, py_ws = tmpdir / "rust", tmpdir / "python"
        subprocess.run([*quest, "start", "value", "--lang", "rust", "--dir", str(rust_ws)], env=env, check=True,
                       capture_output=True)
        shutil.rmtree(rust_ws / "src")
        shutil.copytree(RUST / "src", rust_ws / "src")
        shutil.copytree(PYTHON / "ugrad", py_ws / "ugrad")
        subprocess.run([*quest, "start", "value", "--dir", str(py_ws)], env=env, check=True, capture_output=True)
        engine_rs = rust_ws / "src" / "engine.rs"
        original = engine_rs.read_text()
        from ugrad_quest.runner.cargo import build_driver, cache_for

        samples: dict[str, list[tuple[float, float]]] = {k: [] for k in ("cold", "edit", "check", "python")}
        for r in range(args.rounds):
            cache = cache_for(rust_ws)
            shutil.rmtree(cache, ignore_errors=True)
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            os.environ["QUEST_CACHE"] = env["QUEST_CACHE"]
            built = build_driver(rust_ws, [])
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            assert built.binary is not None, built.error
            samples["cold"].append((time.perf_counter() - start,
                                    (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)))
            engine_rs.write_text(edited(original, f"{r}1"))
            before = resource.getrusage(resource.RUSAGE_CHILDREN)
            start = time.perf_counter()
            build_driver(rust_ws, [])
            after = resource.getrusage(resource.RUSAGE_CHILDREN)
            samples["edit"].append((time.perf_counter() - start,
                                    (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)))
            engine_rs.write_text(edited(original, f"{r}2"))
            samples["check"].append(timed([*quest, "check", "value"], rust_ws, env))
            samples["python"].append(timed([*quest, "check", "value"], py_ws, env))

    def med(key: str, i: int) -> float:
        return statistics.median(s[i] for s in samples[key])

    print(f"{args.rounds} rounds, medians (wall s / CPU s)")
    for key, label in (("cold", "cold build"), ("edit", "build after a one-line edit"),
                       ("check", "quest check value after the edit (Rust)"), ("python", "quest check value (Python)")):
        print(f"  {label:42} {med(key, 0):6.2f} / {med(key, 1):6.2f}")
    for key, label in (("cold", "cold build"), ("edit", "build after an edit"), ("check", "Rust check after an edit")):
        print(f"  {label:26} / Python check: wall {med(key, 0) / med('python', 0):5.2f}x, "
              f"CPU {med(key, 1) / med('python', 1):5.2f}x")


if __name__ == "__main__":
    main()
