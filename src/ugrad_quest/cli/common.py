"""What every command shares: the error boundary, the context and plain output. No typer here: the
quick commands (cli/quick.py) run without it."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager

from ugrad_quest.errors import QuestError


def echo(text: str, err: bool = False) -> None:
    """One line on stdout (or stderr), flushed."""
    stream = sys.stderr if err else sys.stdout
    stream.write(text + "\n")
    stream.flush()


@contextmanager
def errors() -> Iterator[None]:
    """A QuestError becomes one sentence on stderr and exit 2; Ctrl-C stops quietly."""
    try:
        yield
    except QuestError as exc:
        from ugrad_quest.render.safe_text import shown

        echo(f"Error: {shown(str(exc))}", err=True)  # it may quote a file name or a reply
        raise SystemExit(exc.exit_code) from None
    except KeyboardInterrupt:
        echo("Interrupted: nothing was recorded.", err=True)
        raise SystemExit(130) from None


def context():
    from ugrad_quest.services.context import Context

    return Context.from_environment()


def interactive() -> bool:
    return sys.stdin.isatty() and sys.stdout.isatty()
