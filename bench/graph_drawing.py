"""Benchmark: what the value quest's random-graph tests cost the judge, drawing programs vs checking them.

Runs the judge of `quest check value` (runner.run_suite: the real plugin, worker and hidden suite)
on a fixture engine, once with testkit/graphs.py of this checkout and once with graphs.py of an
earlier commit (--before), interleaved round by round. Inside the judge, each random test's CPU time
is split into the time spent in check_program (running each program on the engine, the oracle, the
comparisons) and the rest (drawing programs, and shrinking when one fails); the judge's whole CPU
time (imports included) is read as it exits. Only graphs.py differs between the two: the runner,
plugin and hidden tests are this checkout's. Figures are medians; ratios are after / before.

    python bench/graph_drawing.py [--before REF] [--rounds 5] [--engine NAME]

A buggy engine (--engine wrong_topo_order) times the failing path: drawing, the failure, shrinking.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shlex
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
ENGINES = ROOT / "tests" / "fixtures" / "engines"
BEFORE = "97b4cc9"
"""The last commit of graphs.py drawn with hypothesis (st.composite, one draw per choice)."""
ENV_GRAPHS, ENV_OUT = "GRAPH_BENCH_GRAPHS", "GRAPH_BENCH_OUT"


# -- inside the judge ------------------------------------------------------------------------------------
def judge(argv: list[str]) -> None:
    """Run as the judge (`python -P -m pytest ARGS` is what the runner starts), instrumented."""
    import importlib.util

    import ugrad_quest.testkit as testkit

    if os.environ.get(ENV_GRAPHS):  # the earlier graphs.py, in place of this checkout's
        spec = importlib.util.spec_from_file_location("ugrad_quest.testkit.graphs", os.environ[ENV_GRAPHS])
        module = importlib.util.module_from_spec(spec)
        sys.modules[spec.name] = module
        spec.loader.exec_module(module)
        testkit.graphs = module
    from ugrad_quest.testkit import graphs

    stats = {"tests": {}, "check": 0.0, "programs": 0}
    inside = []

    def timed_check(*args, **kwargs):
        if not inside:
            return check_program(*args, **kwargs)
        start = time.process_time()
        try:
            return check_program(*args, **kwargs)
        finally:
            stats["check"] += time.process_time() - start
            stats["programs"] += 1

    def timed_random_test(*args, **kwargs):
        decorate = random_test(*args, **kwargs)

        def wrap(test):
            run = decorate(test)

            def timed(*a, **k):
                inside.append(1)
                check0, start = stats["check"], time.process_time()
                try:
                    return run(*a, **k)
                finally:
                    total = time.process_time() - start
                    stats["tests"][f"{test.__module__.rsplit('.', 1)[-1]}::{test.__name__}"] = {
                        "cpu": total, "check": stats["check"] - check0}
                    inside.pop()

            timed.__dict__.update(run.__dict__)
            for attr in ("__name__", "__qualname__", "__module__", "__doc__"):
                setattr(timed, attr, getattr(run, attr))
            import inspect
            timed.__signature__ = inspect.signature(run)
            return timed

        return wrap

    check_program, random_test = graphs.check_program, graphs.random_test
    graphs.check_program, graphs.random_test = timed_check, timed_random_test
    import pytest

    sys.argv = ["pytest", *argv]
    try:
        code = pytest.console_main()
    finally:
        own = resource.getrusage(resource.RUSAGE_SELF)
        workers = resource.getrusage(resource.RUSAGE_CHILDREN)
        stats["judge_cpu"] = own.ru_utime + own.ru_stime
        stats["worker_cpu"] = workers.ru_utime + workers.ru_stime
        stats["hypothesis_imported"] = "hypothesis" in sys.modules
        Path(os.environ[ENV_OUT]).write_text(json.dumps(stats), encoding="utf-8")
    raise SystemExit(code)


# -- outside -----------------------------------------------------------------------------------------------
def run_once(quest, engine: Path, tmp: Path, graphs_file: str | None, n: int) -> dict:
    from ugrad_quest.runner import run_suite

    out = tmp / f"stats-{n}.json"
    shim = tmp / f"judge-{n}.sh"
    env = f"{ENV_OUT}={shlex.quote(str(out))} {ENV_GRAPHS}={shlex.quote(graphs_file or '')}"
    # The runner starts `PYTHON -P -m pytest ARGS`: this shim keeps ARGS and runs judge() instead.
    shim.write_text(f'#!/bin/sh\nshift 3\n{env} exec {shlex.quote(sys.executable)} -P '
                    f'{shlex.quote(str(Path(__file__).resolve()))} --judge "$@"\n', encoding="utf-8")
    shim.chmod(0o755)
    start = time.perf_counter()
    result = run_suite(quest, engine, "ugrad", python=str(shim))
    wall = time.perf_counter() - start
    stats = json.loads(out.read_text(encoding="utf-8"))
    stats["wall"] = wall
    stats["statuses"] = {t: r.status for t, r in result.tasks.items()}
    stats["messages"] = {t: r.message for t, r in result.tasks.items() if r.status != "passed"}
    return stats


def summary(runs: list[dict]) -> dict:
    med = statistics.median
    random_cpu = [sum(t["cpu"] for t in r["tests"].values()) for r in runs]
    check_cpu = [sum(t["check"] for t in r["tests"].values()) for r in runs]
    return {
        "judge": med(r["judge_cpu"] for r in runs),
        "worker": med(r["worker_cpu"] for r in runs),
        "wall": med(r["wall"] for r in runs),
        "random": med(random_cpu),
        "check": med(check_cpu),
        "draw": med(a - b for a, b in zip(random_cpu, check_cpu)),
        "programs": med(r["programs"] for r in runs),
        "hypothesis": any(r["hypothesis_imported"] for r in runs),
        "tests": {name: (med(r["tests"][name]["cpu"] - r["tests"][name]["check"] for r in runs),
                         med(r["tests"][name]["check"] for r in runs)) for name in runs[0]["tests"]},
    }


def main() -> None:
    if sys.argv[1:2] == ["--judge"]:
        judge(sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--before", default=BEFORE, help="the commit whose graphs.py is the baseline")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--engine", default="iterative_slots", help="a fixture engine in tests/fixtures/engines")
    args = parser.parse_args()
    sys.path.insert(0, str(ROOT / "src"))
    from ugrad_quest.catalog import load_quest

    quest = load_quest(ROOT / "quests" / "value")
    engine = ENGINES / args.engine
    with tempfile.TemporaryDirectory(prefix="graph-bench-") as tmp_name:
        tmp = Path(tmp_name)
        old = tmp / "graphs_before.py"
        old.write_bytes(subprocess.run(["git", "show", f"{args.before}:src/ugrad_quest/testkit/graphs.py"],
                                       cwd=ROOT, check=True, capture_output=True).stdout)
        runs: dict[str, list[dict]] = {"before": [], "after": []}
        for n in range(args.rounds):
            for label, graphs_file in (("before", str(old)), ("after", None)):
                runs[label].append(run_once(quest, engine, tmp, graphs_file, 2 * n + (label == "after")))
    show(args, runs)


def show(args, runs: dict[str, list[dict]]) -> None:
    before, after = summary(runs["before"]), summary(runs["after"])
    print(f"value suite on {args.engine}, {args.rounds} rounds interleaved; graphs.py before = {args.before}, "
          "after = this checkout; medians of judge CPU seconds")
    print(f"{'':28} {'before':>8} {'after':>8} {'after/before':>13}")
    rows = [("judge CPU, whole check", "judge"), ("random tests", "random"), ("  drawing (+ shrinking)", "draw"),
            ("  check_program", "check"), ("worker CPU", "worker"), ("wall, whole check", "wall")]
    for title, key in rows:
        print(f"{title:28} {before[key]:8.3f} {after[key]:8.3f} {after[key] / before[key]:13.2f}")
    for label, s in (("before", before), ("after", after)):
        print(f"{label}: drawing is {s['draw'] / s['random']:.0%} of the random tests' judge CPU, "
              f"{s['programs']:.0f} programs checked, hypothesis imported: {s['hypothesis']}")
    print(f"\n{'random test':42} {'draw before':>11} {'draw after':>10} {'check before':>12} {'check after':>11}")
    for name, (draw, check) in before["tests"].items():
        draw2, check2 = after["tests"].get(name, (float("nan"),) * 2)
        print(f"{name:42} {draw:11.3f} {draw2:10.3f} {check:12.3f} {check2:11.3f}")
    for label in ("before", "after"):
        statuses = {t: s for r in runs[label] for t, s in r["statuses"].items()}
        failed = {t: m for r in runs[label] for t, m in r["messages"].items()}
        print(f"\n{label}: {statuses}")
        for task, message in failed.items():
            print(f"  {task}: {message[:300]!r}")


if __name__ == "__main__":
    main()
