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
