"""Benchmark: is the optimize quest's speed verdict stable? The whole check, three times in a row.

For each fixture engine (tests/fixtures/engines/optimize/NAME) it runs `quest check optimize` as the
runner does (every task, a fresh child process each time) RUNS times, one after the other, and prints
per run: the wall time of the whole check, the overall ratio and the ratio per workload, and the
highest tier reached. Then, with --direct, one measurement straight from testkit.speed, for the ms
per step of each side on each workload. The product promise: the same engine lands in the same tier
every time unless its ratio is within 10% of a tier's threshold, and a check takes under 60 s.

    python bench/optimize_stability.py [--runs 3] [--direct] [NAME_OR_PATH ...]     (default: fast plain)

A NAME is a fixture under tests/fixtures/engines/optimize/; a path is any workspace holding ugrad/.
"""

from __future__ import annotations

import argparse
import re
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


def direct(name: str) -> None:
    """ms per step of each side on each workload, from one measurement made here."""
    sys.dont_write_bytecode = True  # nothing left behind in quests/
    sys.path.insert(0, str(ROOT / "quests" / "optimize" / "hidden"))
    import _workloads

    from ugrad_quest.testkit import speed, state

    state.WORKSPACE, state.PACKAGE = str(workspace(name)), "ugrad"
    timing = speed.compare(ROOT / "quests" / "optimize" / "hidden" / "_workloads.py",
                           tuple(w.name for w in _workloads.WORKLOADS), seed=1, budget=60)
    for w in timing.workloads:
        print(f"    {w:9s} baseline {speed.fmt_ms(timing.ms(speed.BASELINE, w)):>6} ms/step, "
              f"{name} {speed.fmt_ms(timing.ms(speed.LEARNER, w)):>6} ms/step: {speed.fmt_ratio(timing.ratio(w))}"
              f"  (baseline samples {[round(1000 * s) for s in timing.seconds[speed.BASELINE][w]]})")
    print(f"    {timing.rounds} rounds{'; ' + timing.stopped_early if timing.stopped_early else ''}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("names", nargs="*", default=["fast", "plain"])
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--direct", action="store_true", help="also print ms/step per workload and side")
    args = parser.parse_args()
    for name in args.names:
        print(f"{name}:")
        tiers, ratios = set(), []
        for run in range(1, args.runs + 1):
            wall, statuses, report = one_check(name)
            m = RATIO.search(report)
            ratio = float(m.group(1)) if m else float("nan")
            ratios.append(ratio)
            tiers.add(tier(statuses))
            detail = m.group(2) if m else report
            print(f"  run {run}: {wall:5.1f} s  {ratio:6.2f}x ({detail}){near_threshold(ratio)}  "
                  f"highest tier: {tier(statuses)}  still-correct: {statuses.get('still-correct')}")
        verdict = "same tier every run" if len(tiers) == 1 else f"tiers differ: {sorted(tiers)}"
        print(f"  ratios {', '.join(f'{r:.2f}x' for r in ratios)}: {verdict}")
        if args.direct:
            direct(name)


if __name__ == "__main__":
    main()
