"""Benchmark: whole optimize checks of the ladder's rungs, as `quest check optimize` judges them.

Where bench/optimize_ladder.py measures each rung with every round the budget allows, this runs the
optimize quest's hidden suite itself (runner.run_suite, what `quest check` calls) on each rung's
workspace, so the early stop, the still-correct gate, the memory check and the tiers are the ones a
learner meets. For each rung and each run it prints the tiers passed, the measured ratios and the
wall time of the check; idle and, with --busy N, beside N processes of `while True: pass`, the rungs'
order turned by one each run.

With --old REV, the same checks of --old-rungs are also run by the ugrad-quest of that git revision
(checked out in a temporary worktree, its own quests and tiers), interleaved with the new ones, and
the table gives new / old wall time of a check per rung: the "optimize check / today's" figure.

    python bench/optimize_check.py [--runs 3] [--busy 4] [--old 6e02bba] [RUNG ...]
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import ExitStack
from pathlib import Path

from judge_worker import busy

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))
from helpers import optimize_workspace  # noqa: E402
RUNGS = ("plain", "ladder_gc", "ladder_noclosures", "ladder_fused", "fast", "ladder_flat", "ladder_gc_at_import")

CHILD = """
import json, sys, time
from pathlib import Path
from ugrad_quest.catalog import load_quest
from ugrad_quest.runner import run_suite
quest = load_quest(Path(sys.argv[1]))
start = time.perf_counter()
result = run_suite(quest, Path(sys.argv[2]))
print(json.dumps({"wall": time.perf_counter() - start,
                  "tasks": {k: [v.status, v.message, getattr(v, "measured", None)] for k, v in result.tasks.items()}}))
"""


def check(tree: Path, rung: Path) -> dict:
    """One hidden-suite run of the optimize quest of the ugrad-quest in `tree` on the rung's workspace."""
    env = {**os.environ, "PYTHONPATH": str(tree / "src")}
    out = subprocess.run([sys.executable, "-c", CHILD, str(tree / "quests" / "optimize"), str(rung)],
                         env=env, capture_output=True, text=True, check=True)
    return json.loads(out.stdout.splitlines()[-1])


def tiers(result: dict) -> str:
    passed = [k.removeprefix("speedup-") for k, v in result["tasks"].items() if k.startswith("speedup") and v[0] == "passed"]
    return ",".join(passed) or "none"


def ratios(result: dict) -> str:
    for task, (status, message, measured) in result["tasks"].items():
        if measured and "workloads" in measured:
            w = measured["workloads"]
            return " ".join(f"{k} {v:.1f}x" for k, v in w.items())
    gate = result["tasks"].get("still-correct", ["", ""])
    return "not timed" if gate[0] != "passed" else "-"


def problem(result: dict) -> str:
    for task, (status, message, _) in result["tasks"].items():
        if status != "passed" and task != "still-correct" and "needs <=" not in message:
            return message[:110]
    if result["tasks"]["still-correct"][0] != "passed":
        return "still-correct: " + result["tasks"]["still-correct"][1][:100]
    return ""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rungs", nargs="*", default=list(RUNGS))
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--busy", type=int, default=0, help="also check each rung beside N busy loops")
    parser.add_argument("--old", help="a git revision whose checks to time against (e.g. 6e02bba)")
    parser.add_argument("--old-rungs", nargs="*", default=["plain", "fast"])
    parser.add_argument("--json", type=Path)
    args = parser.parse_args()
    conditions = [0, args.busy] if args.busy else [0]
    rows: list[dict] = []
    started = time.perf_counter()
    with ExitStack() as stack:
        old = None
        rungs = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="rungs-")))
        if args.old:
            old = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="old-ugrad-"))) / "tree"
            subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", "-q", str(old), args.old],
                           check=True)
            stack.callback(subprocess.run, ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(old)])
        for run in range(args.runs):
            order = args.rungs[run % len(args.rungs):] + args.rungs[:run % len(args.rungs)]
            for n in conditions:
                print(f"run {run + 1}, {f'beside {n} busy loops' if n else 'idle'}:", flush=True)
                with busy(n):
                    for rung in order:
                        for which, tree in (("new", ROOT), ("old", old)):
                            if tree is None or (which == "old" and rung not in args.old_rungs):
                                continue
                            result = check(tree, optimize_workspace(rung, rungs))
                            rows.append({"run": run, "busy": n, "rung": rung, "which": which, **result})
                            print(f"  {which} {rung:20s} {result['wall']:6.1f} s  tiers {tiers(result):18s} "
                                  f"{ratios(result)}  {problem(result)}", flush=True)
    print(f"\n{args.runs} runs in {(time.perf_counter() - started) / 60:.0f} min\n")
    for n in conditions:
        print("idle" if not n else f"beside {n} busy loops")
        for rung in args.rungs:
            mine = [r for r in rows if r["rung"] == rung and r["busy"] == n and r["which"] == "new"]
            seen = sorted({tiers(r) for r in mine})
            walls = [r["wall"] for r in mine]
            line = f"  {rung:20s} tiers {' | '.join(seen):24s} ({len(mine)} checks)  check {min(walls):.1f}..{max(walls):.1f} s"
            olds = [r["wall"] for r in rows if r["rung"] == rung and r["busy"] == n and r["which"] == "old"]
            if olds:
                line += f"  old {min(olds):.1f}..{max(olds):.1f} s  new/old {statistics.median(walls) / statistics.median(olds):.2f}"
            print(line)
    if args.json:
        args.json.write_text(json.dumps(rows, indent=1))


if __name__ == "__main__":
    main()
