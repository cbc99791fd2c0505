"""Sharing and proving progress: export and verify. Registered on the app in cli/app.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated

import typer

from ugrad_quest.cli.common import context, errors
from ugrad_quest.cli.options import JsonOption

BundlePath = Annotated[Path, typer.Argument(help="The bundle file.", metavar="FILE", show_default=False)]


def export(path: BundlePath) -> None:
    """Write your progress to one file anyone can check with `quest verify`: the hash-chained event log, and the code of every check that completed a task."""
    with errors():
        from ugrad_quest.render import ledger_views
        from ugrad_quest.render.console import stdout_console
        from ugrad_quest.services.export import export_bundle

        stdout_console().print(ledger_views.exported(export_bundle(context(), path)))


def verify(path: BundlePath, json_output: JsonOption = False) -> None:
    """Check a bundle made by `quest export`: its hash chain, every XP award, and every claimed task, re-run on the code it was checked with. Your own progress is not touched. Exit 1 if anything fails.

    The re-runs execute the bundle's code on this machine in the same confined worker as quest check: it can read nothing of yours but the bundle's code and write only its own temporary folder (where the machine offers no confinement, verify says so)."""
    with errors():
        from ugrad_quest.render.console import stderr_console
        from ugrad_quest.render.progress import verify_progress
        from ugrad_quest.services.verify import verify_bundle

        with verify_progress(stderr_console(), enabled=not json_output) as on_progress:
            result = verify_bundle(context(), path, on_progress)
        if json_output:
            from ugrad_quest.render import json_view

            typer.echo(json_view.dumps(json_view.verification(result)))
        else:
            from ugrad_quest.render import ledger_views
            from ugrad_quest.render.console import stdout_console

            stdout_console().print(ledger_views.verification(result))
    raise typer.Exit(0 if result.ok else 1)
