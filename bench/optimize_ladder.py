"""Benchmark: where the optimize ladder's rungs land, to place the speed tiers from measurements.

The rungs are fixture workspaces (tests/fixtures/engines/optimize/, a rung that holds only the files
it changes laid over the one its BASE file names: tests/helpers.optimize_workspace), each an engine
whose train_step computes the starter's step, and each adding one lesson of the quest to the rung
before (see each one's engine.py and train.py); the last two are the shortcuts the tiers must refuse:

    plain                micrograd's engine and the starter's train_step
    ladder_gc            + the collector paused around the step, one gc.collect() after it
    ladder_noclosures    + local gradients stored in the nodes (no closures, no cycles), __slots__
    ladder_fused         + Value.dot / Value.sum nodes, the topological order kept on the root
    fast                 + the graph built once per model and batch size and run again (a tape)
    ladder_flat          a train_step on flat lists of floats that no longer uses the engine
    ladder_gc_at_import  plain with gc.disable() at import (memory grows every step)

Every rung is measured as the speed tasks measure it, by testkit.speed.compare (baseline and rung
alternating in fresh workers, CPU time read from outside, the median per workload over the rounds,
the geometric mean of the workloads), with no hidden suite around it and no tiers given, so it
times every round that fits the budget instead of stopping once the rounds land on a tier. The
bench also reads the VmRSS of the rung's worker before and after each request of timed steps, and
reports how much it grew per timed step (the median over rounds, the larger of the two workloads');
"refused" counts the runs in which compare itself reported a problem (a leak, a loss it did not
expect), whose ratios are shown all the same.

The rungs are interleaved within one run of the bench: each round of the bench measures every rung
idle, then every rung again beside --busy N processes of `while True: pass`, the order of the rungs
turned by one each round so no rung always goes first. The table gives min..max over the rounds.

    python bench/optimize_ladder.py [--runs 3] [--busy 4] [--budget 26] [--json FILE] [RUNG ...]

A RUNG is a fixture name under tests/fixtures/engines/optimize/ or a path to a workspace holding ugrad/.
"""

from __future__ import annotations

import argparse
import json
import math
import random
import statistics
import sys
import tempfile
import time
from pathlib import Path

from judge_worker import busy

from ugrad_quest.runner.budget import Budgets
from ugrad_quest.runner.plugin import MEMORY_LIMIT_BYTES
from ugrad_quest.testkit import speed
from ugrad_quest.testkit.remote import Engine
from ugrad_quest.worker.process import python_workers

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "quests" / "optimize" / "hidden"))
sys.path.insert(0, str(ROOT / "tests"))
import _workloads as W  # noqa: E402
from helpers import optimize_workspace  # noqa: E402

RUNGS = ("plain", "ladder_gc", "ladder_noclosures", "ladder_fused", "fast", "ladder_flat", "ladder_gc_at_import")
BUDGET = 26.0
"""CPU seconds a measurement may take, as the speed tasks give it (test_speed.MAX_BUDGET)."""
MIB = 2**20


def workspace(name: str, tmp: Path) -> Path:
    return Path(name).resolve() if "/" in name else optimize_workspace(name, tmp)


class WatchedEngine(Engine):
    """An Engine that reads its worker's VmRSS before and after every repeat(): speed.time_side's
    warm-up step and its requests of timed steps."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.calls: list[tuple[int | None, int, int, int]] = []
        """(handle of the model stepped, steps, VmRSS before, VmRSS after) of every repeat()."""

    def repeat(self, target, arglists: list) -> list:
        worker = self.ensure()
        before = worker.rss()
        out = super().repeat(target, arglists)
        self.calls.append((getattr(arglists[0][0], "_h", None), len(arglists), before, worker.rss()))
        return out

    def growth_per_step(self) -> dict[str, float]:
        """{workload: bytes the worker grew per timed step}. time_side steps one model per workload, in
        W.WORKLOADS order, and its first request is the warm-up step, left out."""
        groups: list[list[tuple]] = []
        for call in self.calls:
            if groups and groups[-1][0][0] == call[0]:
                groups[-1].append(call)
            else:
                groups.append([call])
        out = {}
        for workload, calls in zip(W.WORKLOADS, groups):
            timed = calls[1:]
            if timed:
                out[workload.name] = (timed[-1][3] - timed[0][2]) / sum(c[1] for c in timed)
        return out


class BenchJudge:
    """What speed.compare asks of the judge (hidden suites get runner.plugin.Judge): fresh workers,
    started as the plugin starts them, and budgets (none here: compare's own cap stops it)."""

    def __init__(self, rung: Path, tmp: Path):
        self.rung, self.tmp = rung, tmp
        self.budgets = Budgets({})
        self.learners: list[WatchedEngine] = []

    def engine(self, modules: dict | None = None, extra_read: tuple[str, ...] = (), meter=None) -> Engine:
        spec = modules or {m: f"ugrad.{m}" for m in ("engine", "nn", "train")}
        folder = self.tmp / f"engine-{len(self.learners)}-{time.monotonic_ns()}"
        start = python_workers(folder, str(self.rung), spec, extra_read, MEMORY_LIMIT_BYTES)
        names = {k: v if isinstance(v, str) else v["name"] for k, v in spec.items()}
        if modules:
            return Engine(start, meter or self.budgets, names)
        engine = WatchedEngine(start, meter or self.budgets, names)
        self.learners.append(engine)
        return engine


def measure(rung: str, budget: float) -> dict:
    """One speed.compare of the rung against the baseline, with its worker's memory growth."""
    with tempfile.TemporaryDirectory(prefix="ladder-") as tmp:
        judge = BenchJudge(workspace(rung, Path(tmp)), Path(tmp))
        seed = random.randrange(2**31)
        timing = speed.compare(judge, W.BASELINE_MODULES, str(W.BASELINE_FILE), W, seed=seed, budget=budget)
        growth = [engine.growth_per_step() for engine in judge.learners[:timing.rounds]]
    result = {"rung": rung, "seed": seed, "rounds": timing.rounds, "problem": timing.problem,
              "stopped_early": timing.stopped_early, "judge_growth": timing.growth}
    if timing.rounds:  # a leak is said after every round was timed: its ratios still stand
        result["ratio"] = {w: timing.ratio(w) for w in timing.workloads} | {"mean": timing.ratio()}
        result["ms"] = {side: timing.ms(side) for side in (speed.BASELINE, speed.LEARNER)}
    per_workload = {w.name: statistics.median(g[w.name] for g in growth) / MIB
                    for w in W.WORKLOADS if growth and all(w.name in g for g in growth)}
    result["mib_per_step"] = per_workload
    result["mib_per_step_max"] = max(per_workload.values(), default=math.nan)
    return result


def line(result: dict) -> str:
    mem = ", ".join(f"{w} {v:+.2f}" for w, v in result["mib_per_step"].items())
    problem = f"\n    problem: {result['problem']}" if result["problem"] else ""
    if "ratio" not in result:
        return f"{result['rung']:20s} no complete round  MiB/step: {mem}{problem}"
    r = result["ratio"]
    return (f"{result['rung']:20s} demo {r['demo']:6.2f}x  wide_100 {r['wide_100']:6.2f}x  mean {r['mean']:6.2f}x  "
            f"({result['rounds']} rounds; baseline {speed.fmt_ms(result['ms'][speed.BASELINE])} ms/step)  "
            f"MiB/step: {mem}{problem}")


def span(values: list[float], fmt: str) -> str:
    values = [v for v in values if not math.isnan(v)]
    if not values:
        return "-"
    low, high = min(values), max(values)
    return format(low, fmt) if len(values) == 1 else f"{format(low, fmt)}..{format(high, fmt)}"


def table(results: list[dict], rungs: list[str], title: str) -> str:
    rows = [f"{title}", f"  {'rung':20s} {'demo':>14s} {'wide_100':>14s} {'geo mean':>14s} {'MiB/step':>14s}"]
    for rung in rungs:
        mine = [r for r in results if r["rung"] == rung]
        ratios = [r.get("ratio", {}) for r in mine]
        cells = [span([x.get(k, math.nan) for x in ratios], ".2f") for k in ("demo", "wide_100", "mean")]
        cells.append(span([r["mib_per_step_max"] for r in mine], "+.2f"))
        refused = sum(bool(r["problem"]) for r in mine)
        note = f"  refused in {refused} of {len(mine)} runs" if refused else ""
        rows.append(f"  {rung:20s} " + " ".join(f"{c:>14s}" for c in cells) + note)
    return "\n".join(rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("rungs", nargs="*", default=list(RUNGS))
    parser.add_argument("--runs", type=int, default=3, help="rounds of the bench (each rung once per round)")
    parser.add_argument("--busy", type=int, default=0, help="also measure each rung beside N busy loops")
    parser.add_argument("--budget", type=float, default=BUDGET, help="CPU seconds per measurement")
    parser.add_argument("--json", type=Path, help="write every measurement to this file")
    args = parser.parse_args()
    conditions = [0, args.busy] if args.busy else [0]
    results: dict[int, list[dict]] = {n: [] for n in conditions}
    started = time.perf_counter()
    for run in range(args.runs):
        order = args.rungs[run % len(args.rungs):] + args.rungs[:run % len(args.rungs)]
        for n in conditions:
            print(f"run {run + 1}, {f'beside {n} busy loops' if n else 'idle'}:", flush=True)
            with busy(n):
                for rung in order:
                    result = measure(rung, args.budget)
                    results[n].append(result)
                    print(f"  {line(result)}", flush=True)
    print(f"\n{args.runs} runs in {(time.perf_counter() - started) / 60:.0f} min; ratios are CPU time against the "
          f"baseline (speed.compare), MiB/step the worker's VmRSS growth per timed step (larger workload's), "
          f"min..max over the runs\n")
    for n in conditions:
        print(table(results[n], args.rungs, f"beside {n} busy loops" if n else "idle"))
    if args.json:
        args.json.write_text(json.dumps({str(n): r for n, r in results.items()}, indent=1))


if __name__ == "__main__":
    main()
