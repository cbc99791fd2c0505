"""Benchmark: how long each quest's hidden suite takes, and how much of each task's budget it uses.

Runs the value and mlp suites (one at a time, so timings are not disturbed) on micrograd 0.1.0 and
on the correct fixture engines, through the real runner. Issue targets: `quest check` on value
under 3 s, the whole mlp check under 30 s with micrograd's engine, on a 2-core machine.

    python bench/suite_times.py
"""

from __future__ import annotations

import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

from ugrad_quest.catalog import load_quest  # noqa: E402
from ugrad_quest.runner import run_suite  # noqa: E402

ENGINES = ROOT / "tests" / "fixtures" / "engines"
TARGETS = {
    "value": ["micrograd", ENGINES / "iterative_slots", ENGINES / "closures_recursive"],
    "mlp": ["micrograd", ENGINES / "mlp" / "nn_micrograd_like", ENGINES / "mlp" / "nn_slots_generators"],
}


def main() -> None:
    empty = Path(tempfile.mkdtemp(prefix="ugrad-bench-"))
    print(f"{'quest':6} {'engine':22} {'wall s':>7}  worst task share of its budget")
    for quest_id, targets in TARGETS.items():
        quest = load_quest(ROOT / "quests" / quest_id)
        budgets = {t.id: t.timeout for t in quest.tasks}
        for target in targets:
            workspace, package = (empty, "micrograd") if target == "micrograd" else (target, "ugrad")
            result = run_suite(quest, workspace, package)
            task, share = max(((t, r.duration / budgets[t]) for t, r in result.tasks.items()), key=lambda x: x[1])
            name = target if isinstance(target, str) else target.name
            print(f"{quest_id:6} {name:22} {result.duration:7.2f}  {task} {share:.0%}")


if __name__ == "__main__":
    main()
