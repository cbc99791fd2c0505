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
        yield _CheckBar(progress, bar)


class _CheckBar:
    """Called with each finished test; ``build`` takes the lines cargo prints while a crate builds."""

    def __init__(self, progress: Progress, bar) -> None:
        self.progress, self.bar = progress, bar

    def __call__(self, outcome, done: int, total: int) -> None:
        self.progress.update(self.bar, completed=done, total=total or None, description=outcome.task or "")

    def build(self, line: str) -> None:
        words = line.split()
        if words[:1] in (["Compiling"], ["Finished"]):  # "Compiling ugrad v0.1.0 (...)"
            self.progress.update(self.bar, description=f"cargo: {' '.join(words[:2])}")


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
