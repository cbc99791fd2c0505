"""Benchmark: is the optimize quest's speed verdict stable? The whole check, three times in a row.

For each fixture engine (tests/fixtures/engines/optimize/NAME) it runs `quest check optimize` as the
runner does (every task, a fresh child process each time) RUNS times, one after the other, and prints
per run: the wall time of the whole check, the overall ratio and the ratio per workload, and the
highest tier reached. With --busy N each run is repeated beside N busy-loop processes: the ratios
are CPU-time ratios, so they should agree with the idle ones (the promise: within 10%). The product
promise: the same engine lands in the same tier every time unless its ratio is within 10% of a
tier's threshold, and a check takes under 60 s.

    python bench/optimize_stability.py [--runs 3] [--busy 4] [NAME_OR_PATH ...]     (default: fast plain)

A NAME is a fixture under tests/fixtures/engines/optimize/; a path is any workspace holding ugrad/.
"""

from __future__ import annotations

import argparse
import multiprocessing
import re
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
FIXTURES = ROOT / "tests" / "fixtures" / "engines" / "optimize"
TIERS = ("speedup-2x", "speedup-5x", "speedup-10x", "speedup-25x")
RATIO = re.compile(r": ([\d.]+)x \(([^)]*)\)")


def workspace(name: str) -> Path:
    return Path(name).resolve() if "/" in name else FIXTURES / name


def one_check(name: str) -> tuple[float, dict[str, str], str]:
    """(wall seconds, {task: status}, the speed report) of one full check."""
    from helpers import run_hidden_suite_raw

    start = time.perf_counter()
    result = run_hidden_suite_raw("optimize", workspace(name))
    wall = time.perf_counter() - start
    statuses = {t: r.status for t, r in result.tasks.items()}
    report = next((r.message for t, r in result.tasks.items() if t in TIERS and RATIO.search(r.message)), "")
    if not report:
        report = " | ".join(f"{t}: {r.message}" for t, r in result.tasks.items() if r.message)
    return wall, statuses, report


def tier(statuses: dict[str, str]) -> str:
    reached = [t for t in TIERS if statuses.get(t) == "passed"]
    return reached[-1] if reached else "none"


def near_threshold(ratio: float) -> str:
    near = [t for t in (2, 5, 10, 25) if abs(ratio - t) <= 0.1 * t]
    return f" (within 10% of {near[0]}x)" if near else ""


def _spin() -> None:
    while True:
        pass


def checks(name: str, busy: int) -> tuple[float, dict[str, str], str]:
    """one_check, beside `busy` busy-loop processes (none: an idle machine)."""
    procs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(busy)]
    for p in procs:
        p.start()
    try:
        return one_check(name)
    finally:
        for p in procs:
            p.kill()
            p.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=["fast", "plain"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0,
                        help="also run each check beside N busy loops, interleaved with the idle runs")
    args = parser.parse_args()
    for name in args.names:
        print(f"{name}:")
        tiers, ratios = set(), {0: [], args.busy: []}
        for run in range(1, args.runs + 1):
            for busy in ([0, args.busy] if args.busy else [0]):
                wall, statuses, report = checks(name, busy)
                m = RATIO.search(report)
                ratio = float(m.group(1)) if m else float("nan")
                ratios[busy].append(ratio)
                tiers.add(tier(statuses))
                detail = m.group(2) if m else report
                where = f"beside {busy} busy loops" if busy else "idle"
                print(f"  run {run} {where}: {wall:5.1f} s  {ratio:6.2f}x ({detail}){near_threshold(ratio)}  "
                      f"highest tier: {tier(statuses)}  still-correct: {statuses.get('still-correct')}", flush=True)
        verdict = "same tier every run" if len(tiers) == 1 else f"tiers differ: {sorted(tiers)}"
        print(f"  idle ratios {', '.join(f'{r:.2f}x' for r in ratios[0])}: {verdict}")
        if args.busy:
            idle, loaded = statistics.median(ratios[0]), statistics.median(ratios[args.busy])
            print(f"  median idle {idle:.2f}x, beside {args.busy} busy loops {loaded:.2f}x: "
                  f"{abs(loaded - idle) / idle:.1%} apart")


if __name__ == "__main__":
    main()
