"""Benchmark: what the judge/worker split costs, as ratios against the in-process check it replaced.

For each quest, a correct fixture workspace is checked with `quest check QUEST` by this checkout and
by an earlier commit (default: the last one before the split, checked out into a temporary git
worktree and run with the same interpreter), interleaved round by round; the ratio is of the
medians of the wall times. With --busy N, N busy-loop processes run beside every check, and the
idle and busy figures of this checkout are both printed, with whether every task passed.

    python bench/judge_worker.py [--before REF] [--rounds 5] [--quests value,mlp,optimize] [--busy 4]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import multiprocessing
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "tests" / "fixtures" / "engines"
BEFORE = "e2b2663"
"""The last commit before the judge/worker split: its check ran the learner's code inside pytest."""
WORKSPACES = {"value": ENGINES / "iterative_slots", "mlp": ENGINES / "mlp" / "nn_micrograd_like",
              "optimize": ENGINES / "optimize" / "fast"}
ROUNDS = {"value": 5, "mlp": 5, "optimize": 3}


def _spin() -> None:
    # A session of its own, as a separate program would have: the kernel's autogroup scheduling then
    # shares the CPUs among the loops and the check as separate groups, instead of giving all the loops
    # together (in the bench's session) one group's share.
    os.setsid()
    while True:
        pass


@contextlib.contextmanager
def busy(n: int):
    procs = [multiprocessing.Process(target=_spin, daemon=True) for _ in range(n)]
    for p in procs:
        p.start()
    try:
        yield
    finally:
        for p in procs:
            p.kill()
            p.join()


def prepare(tmp: Path, name: str, quest: str) -> tuple[Path, dict]:
    """A workspace with every quest up to `quest` started (--force), and its own QUEST_HOME."""
    ws, home = tmp / f"{name}-{quest}", tmp / f"{name}-{quest}-home"
    shutil.copytree(WORKSPACES[quest], ws)
    env = {**os.environ, "QUEST_HOME": str(home)}
    env.pop("QUEST_QUESTS_DIR", None)
    return ws, env


def check(src: Path, ws: Path, env: dict, quest: str) -> tuple[float, bool]:
    env = {**env, "PYTHONPATH": str(src)}
    start = time.perf_counter()
    out = subprocess.run([sys.executable, "-m", "ugrad_quest", "check", quest, "--json"], cwd=ws, env=env,
                         capture_output=True, text=True)
    took = time.perf_counter() - start
    try:
        passed = all(t["status"] == "passed" for t in json.loads(out.stdout)["tasks"])
    except (ValueError, KeyError):
        passed = False
    return took, passed


def start_quests(src: Path, ws: Path, env: dict, quest: str) -> None:
    env = {**env, "PYTHONPATH": str(src)}
    for q in ("value", "mlp", "optimize")[: ("value", "mlp", "optimize").index(quest) + 1]:
        subprocess.run([sys.executable, "-m", "ugrad_quest", "start", q, "--force"], cwd=ws, env=env,
                       capture_output=True, check=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE)
    parser.add_argument("--rounds", type=int, default=0, help="rounds per quest (default: 5, optimize 3)")
    parser.add_argument("--quests", default="value,mlp,optimize")
    parser.add_argument("--busy", type=int, default=0, help="also time this checkout beside N busy loops")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="ugrad-bench-split-") as tmp:
        tmpdir = Path(tmp)
        before = tmpdir / "before"
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(before), args.before],
                       check=True, capture_output=True)
        try:
            print(f"{'quest':<9} {'split':>8} {'before':>8} {'ratio':>6}" + (f" {'busy':>8} {'busy/idle':>9} passed" if args.busy else " passed"))
            for quest in args.quests.split(","):
                sides = {"split": ROOT / "src", "before": before / "src"}
                spaces = {}
                for name, src in sides.items():
                    ws, env = prepare(tmpdir, name, quest)
                    start_quests(src, ws, env, quest)
                    check(src, ws, env, quest)  # warm the caches; later checks award nothing
                    spaces[name] = (src, ws, env)
                times: dict[str, list[float]] = {"split": [], "before": [], "busy": []}
                passed = True
                for r in range(args.rounds or ROUNDS[quest]):
                    order = ("split", "before") if r % 2 == 0 else ("before", "split")
                    for name in order:
                        took, ok = check(*spaces[name], quest)
                        times[name].append(took)
                        passed &= ok or name == "before"
                    if args.busy:
                        with busy(args.busy):
                            took, ok = check(*spaces["split"], quest)
                        times["busy"].append(took)
                        passed &= ok
                split, old = statistics.median(times["split"]), statistics.median(times["before"])
                line = f"{quest:<9} {split:>7.2f}s {old:>7.2f}s {split / old:>5.2f}x"
                if args.busy:
                    b = statistics.median(times["busy"])
                    line += f" {b:>7.2f}s {b / split:>8.2f}x"
                print(line + f" {'yes' if passed else 'NO'}", flush=True)
        finally:
            subprocess.run(["git", "-C", str(ROOT), "worktree", "remove", "--force", str(before)], capture_output=True)


if __name__ == "__main__":
    main()
