"""A live progress line while the hidden tests run (on stderr, so --json output stays clean)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn


@contextmanager
def check_progress(console: Console, enabled: bool = True) -> Iterator:
    if not enabled or not console.is_terminal:
        yield None
        return
    progress = Progress(SpinnerColumn(), TextColumn("running hidden tests"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True)
    with progress:
        bar = progress.add_task("starting…", total=None)

        def on_progress(outcome, done: int, total: int) -> None:
            progress.update(bar, completed=done, total=total or None, description=outcome.task or "")

        yield on_progress


@contextmanager
def verify_progress(console: Console, enabled: bool = True) -> Iterator:
    """One line per claimed check being re-run: on a terminal a live bar, elsewhere a plain log line."""
    if not enabled:
        yield None
        return
    if not console.is_terminal:
        def log_line(seq: int, quest: str, tasks: list[str], index: int, total: int) -> None:
            console.print(f"re-running check #{seq} of {quest} ({', '.join(tasks)})  {index}/{total}",
                          markup=False, highlight=False)

        yield log_line
        return
    progress = Progress(SpinnerColumn(), TextColumn("re-running claims"), BarColumn(), MofNCompleteColumn(),
                        TextColumn("{task.description}"), TimeElapsedColumn(), console=console, transient=True)
    with progress:
        bar = progress.add_task("", total=None)

        def on_progress(seq: int, quest: str, tasks: list[str], index: int, total: int) -> None:
            progress.update(bar, completed=index - 1, total=total,
                            description=f"check #{seq} of {quest}: {', '.join(tasks)}")

        yield on_progress
