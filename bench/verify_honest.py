"""Benchmark: does an honest bundle made on this machine verify, every time?

A learner's history is made through the CLI: value, mlp and optimize checked with correct fixture
workspaces (tests/fixtures/engines: iterative_slots, mlp/nn_micrograd_like, optimize/fast), so the
bundle claims every task those pass, speed tiers included. Then `quest verify` runs RUNS times, each
on a fresh, empty QUEST_HOME, optionally beside N busy loops. Printed per run: the exit code, the
wall time, the claims confirmed, and the speed claims' re-measured ratios (verify re-measures them
and confirms a tier within a 15% band).

    python bench/verify_honest.py [--runs 5] [--busy 0]
"""

from __future__ import annotations

import argparse
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "tests" / "fixtures" / "engines"


def quest(*args: str, cwd: Path, home: Path) -> subprocess.CompletedProcess:
    env = {**os.environ, "QUEST_HOME": str(home)}
    env.pop("QUEST_QUESTS_DIR", None)
    return subprocess.run([sys.executable, "-m", "ugrad_quest", *args], cwd=cwd, env=env, capture_output=True,
                          text=True)


def _spin() -> None:
    while True:
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--busy", type=int, default=0)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ugrad-bench-verify-") as tmp:
        tmpdir = Path(tmp)
        ws, home = tmpdir / "ws", tmpdir / "home"
        ws.mkdir()
        for quest_id, fixture in (("value", "iterative_slots"), ("mlp", "mlp/nn_micrograd_like"),
                                  ("optimize", "optimize/fast")):
            quest("start", quest_id, cwd=ws, home=home)
            shutil.copytree(ENGINES / fixture / "ugrad", ws / "ugrad", dirs_exist_ok=True)
            checked = quest("check", quest_id, "--json", cwd=ws, home=home)
            passed = [t["id"] for t in json.loads(checked.stdout)["tasks"] if t["status"] == "passed"]
            print(f"checked {quest_id}: {', '.join(passed)}", flush=True)
        bundle = tmpdir / "bundle.json"
        quest("export", str(bundle), cwd=ws, home=home)
        verified = 0
        for run in range(1, args.runs + 1):
            procs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(args.busy)]
            for p in procs:
                p.start()
            start = time.perf_counter()
            result = quest("verify", str(bundle), "--json", cwd=tmpdir, home=tmpdir / f"verifier-{run}")
            took = time.perf_counter() - start
            for p in procs:
                p.kill()
                p.join()
            report = json.loads(result.stdout)
            claims = report["claims"]
            confirmed = sum(c["status"] == "confirmed" for c in claims)
            speed = ", ".join(f"{c['task']} {c['detail'].rsplit(' ', 1)[-1]}" for c in claims
                              if c["task"].startswith("speedup-"))
            verified += result.returncode == 0
            print(f"run {run}: exit {result.returncode} in {took:.1f} s, {confirmed}/{len(claims)} claims confirmed"
                  f" ({speed})" + "".join(f"\n  {f['kind']}: {f['message']}" for f in report["findings"]), flush=True)
        print(f"verified {verified} of {args.runs} times" + (f" beside {args.busy} busy loops" if args.busy else ""))


if __name__ == "__main__":
    main()
