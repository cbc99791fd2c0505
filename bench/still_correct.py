"""Benchmark: the optimize quest's still-correct re-run of the value and mlp suites, one judge process
for both (runner.run_suites, what the task does now) against one judge per quest (what it did), as
a ratio measured in one run, rounds interleaved, medians.

    python bench/still_correct.py [--rounds 5] [--engine tests/fixtures/engines/optimize/plain]
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ugrad_quest.catalog import load_quest  # noqa: E402
from ugrad_quest.runner import run_suite, run_suites  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engine", type=Path, default=ROOT / "tests" / "fixtures" / "engines" / "optimize" / "plain",
                        help="folder holding a correct ugrad/ package with engine.py and nn.py")
    args = parser.parse_args()
    plans = [(quest, [t.id for t in quest.required_tasks])
             for quest in (load_quest(ROOT / "quests" / "value"), load_quest(ROOT / "quests" / "mlp"))]
    one, each = [], []
    for _ in range(args.rounds):
        start = time.perf_counter()
        together = run_suites(plans, args.engine)
        one.append(time.perf_counter() - start)
        start = time.perf_counter()
        apart = [run_suite(quest, args.engine, tasks=tasks) for quest, tasks in plans]
        each.append(time.perf_counter() - start)
        verdicts = [{t: r.status for t, r in result.tasks.items()} for result in (*together, *apart)]
        if verdicts[:2] != verdicts[2:]:
            raise SystemExit(f"the verdicts differ: {verdicts}")
    a, b = statistics.median(one), statistics.median(each)
    print(f"{'still-correct re-run':28} {'one judge (s)':>13} {'a judge each (s)':>16} {'ratio':>7}   "
          f"(median of {args.rounds}, {os.cpu_count()} cores)")
    print(f"{'value + mlp, required tasks':28} {a:13.3f} {b:16.3f} {a / b:7.2f}")


if __name__ == "__main__":
    main()
