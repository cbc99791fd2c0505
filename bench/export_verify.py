"""Benchmark: quest export and quest verify, each against the command a learner already waits for.

1. A year of 100,000 seeded events (bench/profile_scale.py's seeding): `quest export` and
   `quest verify` of that bundle (chain + XP audit over every event; the seeded checks have no
   snapshots, so nothing is re-run) against `quest profile --json` on the same home.
2. A real learner: `value` completed over two checks (a buggy engine, then a correct one), exported.
   `quest verify` (which re-runs both snapshots' suites) against one `quest check` of the same code;
   and the snapshot a check now takes (ledger.snapshot.capture, in-process) against that check.

Interleaved rounds in one run (these machines are noisy); medians and ratios.

    python bench/export_verify.py [--rounds 5]
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

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))
import profile_scale as seeded  # noqa: E402

ENGINES = HERE.parent / "tests" / "fixtures" / "engines"


def timed(cmd: list[str], env: dict[str, str], cwd: Path, ok=(0,)) -> float:
    start = time.perf_counter()
    done = subprocess.run(cmd, env=env, cwd=cwd, capture_output=True)
    elapsed = time.perf_counter() - start
    if done.returncode not in ok:
        sys.exit(f"{' '.join(cmd[2:])} failed ({done.returncode}): {done.stderr.decode(errors='replace')[-500:]}")
    return elapsed


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=5)
    args = parser.parse_args()
    quest = [sys.executable, "-m", "ugrad_quest"]
    base = {k: v for k, v in os.environ.items() if k not in ("QUEST_QUESTS_DIR", "FORCE_COLOR", "NO_COLOR")}

    with tempfile.TemporaryDirectory(prefix="ugrad-bench-export-") as tmp:
        tmp = Path(tmp)
        # --- 1. a year of events
        home = tmp / "seeded"
        env = {**base, "QUEST_HOME": str(home), "QUEST_NOW": seeded.QUEST_NOW}
        timed([*quest, "profile", "--json"], env, tmp)
        seeded.name_trainer(home / seeded.DB_FILENAME)
        rows = seeded.seed(home / seeded.DB_FILENAME, ["value", "mlp", "optimize"], seeded.real_badges())
        bundle = tmp / "year.json"
        verifier = {**base, "QUEST_HOME": str(tmp / "verifier")}
        timed([*quest, "export", str(bundle)], env, tmp)
        print(f"seeded {sum(rows.values()):,} rows; bundle {bundle.stat().st_size / 2**20:.1f} MiB")
        year = {"profile --json": [], "export": [], "verify": []}
        for _ in range(args.rounds):
            year["profile --json"].append(timed([*quest, "profile", "--json"], env, tmp))
            year["export"].append(timed([*quest, "export", str(bundle)], env, tmp))
            # Exit 1: the seeded checks have no snapshots, so their claims cannot be confirmed.
            year["verify"].append(timed([*quest, "verify", str(bundle), "--json"], verifier, tmp, ok=(1,)))

        # --- 2. a real learner
        home2, ws = tmp / "learner", tmp / "ws"
        env2 = {**base, "QUEST_HOME": str(home2)}
        timed([*quest, "start", "value", "--dir", str(ws)], env2, tmp)
        shutil.copy(ENGINES / "overwrite_grad" / "ugrad" / "engine.py", ws / "ugrad" / "engine.py")
        timed([*quest, "check"], env2, ws, ok=(1,))
        shutil.copy(ENGINES / "iterative_slots" / "ugrad" / "engine.py", ws / "ugrad" / "engine.py")
        timed([*quest, "check"], env2, ws)
        small = tmp / "value.json"
        timed([*quest, "export", str(small)], env2, tmp)
        learner = {"check": [], "verify": []}
        for _ in range(args.rounds):
            learner["check"].append(timed([*quest, "check"], env2, ws))
            learner["verify"].append(timed([*quest, "verify", str(small)], verifier, tmp))

        sys.path.insert(0, str(HERE.parent / "src"))
        from ugrad_quest.ledger import snapshot

        reps = 200
        start = time.perf_counter()
        for _ in range(reps):
            snapshot.digest(snapshot.capture(ws, "ugrad").files)
        capture = (time.perf_counter() - start) / reps

    med = {k: statistics.median(v) for k, v in {**{f"year {k}": v for k, v in year.items()},
                                                   **{f"learner {k}": v for k, v in learner.items()}}.items()}
    print(f"\n## export and verify (median of {args.rounds} interleaved rounds, {os.cpu_count()} cores)\n")
    print("| comparison | ours | baseline | ratio |")
    print("| --- | ---: | ---: | ---: |")
    rows_out = [
        ("`quest export`, 100k events vs `quest profile --json` on them", "year export", "year profile --json"),
        ("`quest verify` of that bundle (chain + XP audit) vs `quest profile --json`", "year verify", "year profile --json"),
        ("`quest verify` of value (2 snapshots re-run) vs one `quest check`", "learner verify", "learner check"),
    ]
    for label, ours, baseline in rows_out:
        print(f"| {label} | {med[ours] * 1e3:.0f} ms | {med[baseline] * 1e3:.0f} ms | {med[ours] / med[baseline]:.2f} |")
    print(f"| snapshot capture + digest in a check vs that check | {capture * 1e3:.2f} ms | "
          f"{med['learner check'] * 1e3:.0f} ms | {capture / med['learner check']:.4f} |")
    return 0


if __name__ == "__main__":
    sys.exit(main())
