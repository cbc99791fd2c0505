"""What every command shares: the error boundary, the context and the --json option."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Annotated

import typer

from ugrad_quest.errors import QuestError

JsonOption = Annotated[bool, typer.Option("--json", help="Print one JSON object instead of text.")]


@contextmanager
def errors() -> Iterator[None]:
    """A QuestError becomes one sentence on stderr and exit 2; Ctrl-C stops quietly."""
    try:
        yield
    except QuestError as exc:
        from ugrad_quest.render.safe_text import shown

        typer.echo(f"Error: {shown(str(exc))}", err=True)  # it may quote a file name or a reply
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        typer.echo("Interrupted: nothing was recorded.", err=True)
        raise typer.Exit(130) from None


def context():
    from ugrad_quest.services.context import Context

    return Context.from_environment()


def interactive() -> bool:
    import sys

    return sys.stdin.isatty() and sys.stdout.isatty()
