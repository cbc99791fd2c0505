"""Benchmark: the tool's overhead, as ratios measured in one run (these machines are noisy).

  quest profile        vs  python -c "import sqlmodel, rich, typer"   (the libraries it must load)
  quest --help         vs  python -c "import typer"
  quest check (value)  vs  a bare `python -m pytest` of the same hidden suite, same engine

Commands are interleaved round by round and each ratio is of medians. Run:
    python bench/startup_and_check.py [--rounds 7] [--engine tests/fixtures/engines/NAME]
"""

from __future__ import annotations

import argparse
import os
import shutil
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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--engine", type=Path, default=DEFAULT_ENGINE, help="folder holding a correct ugrad/ package")
    args = parser.parse_args()

    py = sys.executable
    quest = [py, "-m", "ugrad_quest"]
    with tempfile.TemporaryDirectory(prefix="ugrad-bench-") as tmp:
        tmpdir = Path(tmp)
        env = {**os.environ, "QUEST_HOME": str(tmpdir / "home")}
        env.pop("QUEST_QUESTS_DIR", None)
        ws = tmpdir / "ws"
        shutil.copytree(args.engine / "ugrad", ws / "ugrad")
        subprocess.run([*quest, "start", "value"], cwd=ws, env=env, check=True, capture_output=True)
        subprocess.run([*quest, "check"], cwd=ws, env=env, capture_output=True)  # warm caches, award once

        hidden = ROOT / "quests" / "value" / "hidden"
        bare_env = {**env, "PYTHONPATH": f"{ROOT / 'src'}{os.pathsep}{ws}", "PYTHONDONTWRITEBYTECODE": "1",
                    "PYTEST_DISABLE_PLUGIN_AUTOLOAD": "1"}
        pairs = {
            "quest profile / import sqlmodel,rich,typer": (
                ([*quest, "profile"], ws, env), ([py, "-c", "import sqlmodel, rich, typer"], ws, env)),
            "quest --help / import typer": (
                ([*quest, "--help"], ws, env), ([py, "-c", "import typer"], ws, env)),
            "quest check value / bare pytest of the suite": (
                ([*quest, "check"], ws, env),
                ([py, "-m", "pytest", "-q", "-p", "ugrad_quest.runner.plugin", "-p", "no:cacheprovider",
                  "--noconftest", "--import-mode=importlib", str(hidden)], tmpdir, bare_env)),
        }
        times: dict[str, tuple[list[float], list[float]]] = {name: ([], []) for name in pairs}
        for _ in range(args.rounds):
            for name, (ours, base) in pairs.items():
                times[name][0].append(timed(*ours))
                times[name][1].append(timed(*base))

    print(f"{'comparison':48} {'ours (s)':>9} {'base (s)':>9} {'ratio':>7}   (median of {args.rounds}, {os.cpu_count()} cores)")
    for name, (ours, base) in times.items():
        a, b = statistics.median(ours), statistics.median(base)
        print(f"{name:48} {a:9.3f} {b:9.3f} {a / b:7.2f}")


if __name__ == "__main__":
    main()
