"""`quest watch`: re-run the check each time the learner saves a file of their package.

Plain polling of each file's (mtime_ns, size): no dependency, and it behaves the same on every
platform and file system; a package is a handful of files, so a look costs a fraction of a
millisecond and can be taken twenty times a second. An editor's save is often a burst (write a temp
file, rename it over the original, touch a backup, all within milliseconds), so a re-run waits until
the files have been quiet for a moment: one save, one check. A save while a check runs queues one
more check after it, and the loop says it is waiting only when nothing is queued. The loop takes its
snapshot, sleep and clock as arguments, so tests drive it with fakes.

The checks are judged by a warm judge (runner/warm.py): pytest, hypothesis and the testkit are
imported once, and each check's judge is forked from there.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

POLL_SECONDS = 0.05
"""How often the files are looked at."""
QUIET_SECONDS = 0.1
"""How long the files must stay unchanged after a change before the check runs again."""

Snapshot = dict[Path, tuple[int, int]]
"""Each watched file, relative to the workspace root, with its (mtime_ns, size)."""

SKIPPED_DIRS = {"__pycache__", "node_modules", "site-packages"}
EDITOR_FILES = {"4913"}  # vim creates and deletes it to test whether a folder is writable


@contextmanager
def warm_judge() -> Iterator[object]:
    """A warm judge for the checks of one watch (services.check.check_quest's warm=), stopped at the end;
    None where there can be none (its checks then start cold judges)."""
    from ugrad_quest.runner.warm import WarmJudge, available

    if not available():
        yield None
        return
    judge = WarmJudge()
    judge.start()
    try:
        yield judge
    finally:
        judge.close()


def watched_folder(root: Path, package: str, lang: str = "python") -> Path:
    """The learner's package folder in the workspace (a Rust crate's src/); the whole workspace when the
    package is not a folder there (a single module, or an installed package whose source may live
    anywhere below)."""
    folder = root / ("src" if lang == "rust" else package)
    return folder if folder.is_dir() else root


def is_watched(name: str, lang: str = "python") -> bool:
    """A source file, not an editor's swap, backup, lock or temp file (those are hidden or end otherwise)."""
    return name.endswith(".rs" if lang == "rust" else ".py") and not name.startswith((".", "~")) \
        and name not in EDITOR_FILES


def _skipped_dir(folder: Path, name: str) -> bool:
    return name.startswith(".") or name in SKIPPED_DIRS or (folder / name / "pyvenv.cfg").exists()


def snapshot(root: Path, package: str, lang: str = "python") -> Snapshot:
    """Every watched file of the learner's package (recursively) with its (mtime_ns, size)."""
    found: Snapshot = {}
    start = watched_folder(root, package, lang)
    if lang == "rust":
        candidates: list[Path] = [root / "Cargo.toml"]
    else:
        candidates = [root / f"{package}.py"] if start != root else []
    for folder, dirs, files in os.walk(start):
        here = Path(folder)
        dirs[:] = sorted(d for d in dirs if not _skipped_dir(here, d) and d != "target")
        candidates.extend(here / name for name in files if is_watched(name, lang))
    for path in candidates:
        try:
            info = path.stat()
        except OSError:  # deleted between the listing and the stat, or a dangling link
            continue
        found[path.relative_to(root)] = (info.st_mtime_ns, info.st_size)
    return found


def changed(before: Snapshot, after: Snapshot) -> list[Path]:
    """Files created, deleted or saved between two snapshots, sorted."""
    return sorted(p for p in before.keys() | after.keys() if before.get(p) != after.get(p))


def watch(
    run_once: Callable[[Sequence[Path]], object],
    snapshot: Callable[[], Snapshot],
    sleep: Callable[[float], object] = time.sleep,
    clock: Callable[[], float] = time.monotonic,
    *,
    waiting: Callable[[], object] = lambda: None,
    poll: float = POLL_SECONDS,
    quiet: float = QUIET_SECONDS,
    stop_after: float | None = None,
) -> int:
    """Call `run_once(())` now, then `run_once(changed_paths)` after each quiet burst of changes, and
    `waiting()` each time the loop goes idle: after a run that no save came during, or after a burst
    whose changes cancelled out (a file created and removed), which runs nothing.

    The snapshot is taken before each run and again right after it, so saves made while a check
    runs are one burst, checked once more when the files are quiet. Runs until interrupted, or
    until `stop_after` seconds of `clock` have passed (for tests). Returns how many times
    `run_once` was called.
    """
    started = clock()
    seen = snapshot()
    run_once(())
    runs = 1
    last_run = seen  # what the last check saw
    last_change: float | None = None  # when the latest change of the pending burst was seen
    idle = False  # waiting() was called and nothing has run since
    while True:
        current = snapshot()
        if current != seen:
            seen, last_change = current, clock()
        elif last_change is not None and clock() - last_change >= quiet:
            last_change = None
            paths = changed(last_run, seen)
            last_run = seen
            if paths:
                run_once(paths)
                runs += 1
                idle = False
                continue  # look again at once: a save during the run is the next burst
        if last_change is None and not idle:
            waiting()
            idle = True
        if stop_after is not None and clock() - started >= stop_after:
            return runs
        sleep(poll)
