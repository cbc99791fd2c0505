"""Benchmark: how soon `quest watch` shows a save, as ratios measured in one run.

  save -> "Changed:"   the poll and the debounce
  save -> result       the whole re-check, against its FLOOR: `python -c "import pytest, hypothesis"`
                       plus the hidden tests' own durations in that very check (read back from the store)

One `quest watch` runs on a correct value engine; each round saves ugrad/engine.py as an editor does
(write a draft, rename it over the file), waits for the result, then times the floor's import while
watch is idle. Ratios are of medians. Run:
    python bench/watch_latency.py [--rounds 9] [--engine tests/fixtures/engines/NAME]
"""

from __future__ import annotations

import argparse
import os
import queue
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from startup_and_check import DEFAULT_ENGINE, quest_workspace, tests_seconds, timed  # noqa: E402


def lines_of(stream) -> queue.Queue:
    """Each line of `stream` with the moment it was read, from a thread."""
    out: queue.Queue = queue.Queue()

    def pump():
        for line in stream:
            out.put((time.perf_counter(), line))
        out.put((time.perf_counter(), None))

    threading.Thread(target=pump, daemon=True).start()
    return out


def until(lines: queue.Queue, marker: str, timeout: float = 300) -> float:
    """The moment of the first line containing `marker`."""
    deadline = time.monotonic() + timeout
    while True:
        at, line = lines.get(timeout=max(0.01, deadline - time.monotonic()))
        if line is None:
            raise SystemExit(f"quest watch ended before {marker!r}")
        if marker in line:
            return at


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=9)
    parser.add_argument("--engine", type=Path, default=DEFAULT_ENGINE, help="folder holding a correct ugrad/ package")
    args = parser.parse_args()

    py = sys.executable
    changed, result, tests, imports = [], [], [], []
    with tempfile.TemporaryDirectory(prefix="ugrad-bench-") as tmp:
        ws, env = quest_workspace(Path(tmp), args.engine)
        db = Path(env["QUEST_HOME"]) / "progress.sqlite3"
        engine = ws / "ugrad" / "engine.py"
        source = engine.read_text()
        proc = subprocess.Popen([py, "-m", "ugrad_quest", "watch"], cwd=ws, env=env, stdout=subprocess.PIPE,
                                stderr=subprocess.DEVNULL, text=True)
        try:
            lines = lines_of(proc.stdout)
            until(lines, "Watching")
            for n in range(args.rounds):
                time.sleep(0.5)  # an idle moment, as between two saves
                draft = ws / "engine.py.draft"
                draft.write_text(source + f"\n# save {n}\n")
                saved = time.perf_counter()
                os.replace(draft, engine)
                changed.append(until(lines, "Changed:") - saved)
                result.append(until(lines, "Checked ") - saved)
                until(lines, "Watching")
                tests.append(tests_seconds(db))
                imports.append(timed([py, "-c", "import pytest, hypothesis"], ws, env))
        finally:
            proc.send_signal(signal.SIGINT)
            try:
                proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                proc.kill()

    floor = statistics.median(imports) + statistics.median(tests)
    print(f"{'measure':28} {'median (s)':>10} {'ratio to floor':>15}   ({args.rounds} saves, {os.cpu_count()} cores)")
    print(f"{'save -> Changed:':28} {statistics.median(changed):10.3f}")
    print(f"{'save -> result':28} {statistics.median(result):10.3f} {statistics.median(result) / floor:15.2f}")
    print(f"  floor = import pytest, hypothesis {statistics.median(imports):.3f} s + the tests' own durations "
          f"{statistics.median(tests):.3f} s = {floor:.3f} s")


if __name__ == "__main__":
    main()
