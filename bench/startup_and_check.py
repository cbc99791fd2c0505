"""Benchmark: the tool's overhead, as ratios measured in one run (these machines are noisy).

  quest check (value)  vs  its FLOOR: `python -c "import pytest, hypothesis"` plus the hidden tests'
                           own durations in that very check (the judge reports each test's duration;
                           the store keeps their sum per task, read back after each check)
  quest profile        vs  python -c "import rich, typer"
  quest list           vs  python -c "import rich, typer"
  quest --help         vs  python -c "import typer"

Commands are interleaved round by round and each ratio is of medians. Run:
    python bench/startup_and_check.py [--rounds 7] [--engine tests/fixtures/engines/NAME]
"""

from __future__ import annotations

import argparse
import compileall
import os
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_ENGINE = ROOT / "tests" / "fixtures" / "engines" / "iterative_slots"


def timed(cmd: list[str], cwd: Path, env: dict[str, str]) -> float:
    start = time.perf_counter()
    subprocess.run(cmd, cwd=cwd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return time.perf_counter() - start


def tests_seconds(db: Path) -> float:
    """The summed durations of the hidden tests of the latest recorded check."""
    conn = sqlite3.connect(db)
    try:
        (ms,) = conn.execute("SELECT SUM(duration_ms) FROM attempt_task WHERE attempt_id = "
                             "(SELECT MAX(id) FROM attempt)").fetchone()
    finally:
        conn.close()
    return (ms or 0) / 1000


def quest_workspace(tmpdir: Path, engine: Path) -> tuple[Path, dict[str, str]]:
    """A workspace with `engine`'s ugrad/ where value is started and checked once (awarded, caches warm)."""
    env = {**os.environ, "QUEST_HOME": str(tmpdir / "home")}
    env.pop("QUEST_QUESTS_DIR", None)
    # As an installed tool runs: with its modules' bytecode compiled (pip compiles a wheel's), not each
    # module compiled from source on every command.
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    compileall.compile_dir(str(ROOT / "src"), quiet=1)
    ws = tmpdir / "ws"
    shutil.copytree(engine / "ugrad", ws / "ugrad")
    quest = [sys.executable, "-m", "ugrad_quest"]
    subprocess.run([*quest, "start", "value"], cwd=ws, env=env, check=True, capture_output=True)
    # A named trainer, as after a first `quest start` in a terminal (it asks); an unnamed one's card
    # asks git for user.name each time (a process, about 10 ms).
    subprocess.run([*quest, "config", "name", "Bench"], cwd=ws, env=env, check=True, capture_output=True)
    subprocess.run([*quest, "check"], cwd=ws, env=env, capture_output=True)
    return ws, env


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--engine", type=Path, default=DEFAULT_ENGINE, help="folder holding a correct ugrad/ package")
    args = parser.parse_args()

    py = sys.executable
    quest = [py, "-m", "ugrad_quest"]
    times: dict[str, list[float]] = {}

    def add(name: str, seconds: float) -> None:
        times.setdefault(name, []).append(seconds)

    with tempfile.TemporaryDirectory(prefix="ugrad-bench-") as tmp:
        ws, env = quest_workspace(Path(tmp), args.engine)
        db = Path(env["QUEST_HOME"]) / "progress.sqlite3"
        for _ in range(args.rounds):
            add("check", timed([*quest, "check"], ws, env))
            add("tests", tests_seconds(db))
            add("import pytest, hypothesis", timed([py, "-c", "import pytest, hypothesis"], ws, env))
            add("profile", timed([*quest, "profile"], ws, env))
            add("list", timed([*quest, "list"], ws, env))
            add("import rich, typer", timed([py, "-c", "import rich, typer"], ws, env))
            add("--help", timed([*quest, "--help"], ws, env))
            add("import typer", timed([py, "-c", "import typer"], ws, env))

    med = {name: statistics.median(values) for name, values in times.items()}
    floor = med["import pytest, hypothesis"] + med["tests"]
    rows = [
        ("quest check value / floor", med["check"], floor),
        ("quest profile / import rich,typer", med["profile"], med["import rich, typer"]),
        ("quest list / import rich,typer", med["list"], med["import rich, typer"]),
        ("quest --help / import typer", med["--help"], med["import typer"]),
    ]
    print(f"{'comparison':40} {'ours (s)':>9} {'base (s)':>9} {'ratio':>7}   (median of {args.rounds}, {os.cpu_count()} cores)")
    for name, ours, base in rows:
        print(f"{name:40} {ours:9.3f} {base:9.3f} {ours / base:7.2f}")
    print(f"  floor = import pytest, hypothesis {med['import pytest, hypothesis']:.3f} s + the tests' own durations "
          f"{med['tests']:.3f} s")


if __name__ == "__main__":
    main()
