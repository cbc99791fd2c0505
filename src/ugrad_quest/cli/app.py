"""The `quest` command's typer app: parse, call a service, hand the result to a renderer.

Services and renderers are imported inside each command so `quest --help` never loads what only a
command needs. The plain forms of check, list and profile skip typer altogether (cli/quick.py holds
their bodies, which the commands here call too); cli/main.py is the entry point.
"""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ugrad_quest import __version__
from ugrad_quest.cli import game, quick, share
from ugrad_quest.cli.common import context as _context
from ugrad_quest.cli.common import errors as _errors
from ugrad_quest.cli.common import interactive
from ugrad_quest.cli.options import JsonOption
from ugrad_quest.cli.help import QuestCommand, QuestGroup
from ugrad_quest.errors import QuestError

app = typer.Typer(
    name="quest",
    cls=QuestGroup,
    help="Rebuild an autograd engine from scratch, one checked quest at a time.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    context_settings={"help_option_names": ["-h", "--help"]},
)

def _version(value: bool) -> None:
    if value:
        typer.echo(f"ugrad-quest {__version__}")
        raise typer.Exit()


@app.callback()
def _main(
    version: Annotated[Optional[bool], typer.Option("--version", callback=_version, is_eager=True,
                                                    help="Show the version and exit.")] = None,
) -> None:
    """Rebuild an autograd engine from scratch, one checked quest at a time.

    Start with `quest start value`, edit ugrad/engine.py, then `quest check`.
    """


@app.command("list")
def list_command(json_output: JsonOption = False) -> None:
    """List the quests and where you stand on each (locked, available, in progress, complete)."""
    quick.list_quests(json_output)


@app.command()
def start(
    quest: Annotated[str, typer.Argument(metavar="QUEST", help="The quest to start, e.g. value.")],
    directory: Annotated[Optional[Path], typer.Option("--dir", metavar="DIR", help="Workspace folder (default: the current workspace or folder).")] = None,
    package: Annotated[Optional[str], typer.Option("--package", metavar="NAME", help="The package holding your engine (default: ugrad). "
                                                   "Name an existing one to have it checked.")] = None,
    force: Annotated[bool, typer.Option("--force", help="Start even if the quests it requires are not complete "
                                        "(to check an existing implementation).")] = False,
    lang: Annotated[Optional[str], typer.Option("--lang", metavar="LANG", help="The language you write your engine "
                                                "in: python (the default) or rust (a Cargo crate). A workspace "
                                                "remembers it.")] = None,
) -> None:
    """Start a quest: scaffold its starter files (never over yours) and record the start."""
    with _errors():
        from ugrad_quest.render import views
        from ugrad_quest.render.console import stdout_console
        from ugrad_quest.services.start import start_quest

        ctx = _context()
        result = start_quest(ctx, quest, directory, package, force, lang)
        stdout_console().print(views.start(result))
        if interactive():
            _ask_trainer_name(ctx)


def _ask_trainer_name(ctx) -> None:
    """Ask for the name on the card once, at the first start, rather than by surprise later."""
    from ugrad_quest.services.config import read_config, set_config

    settings = read_config(ctx)
    if settings.name is not None:
        return
    from ugrad_quest.render.console import stdout_console

    # The explanation goes through rich, which wraps it at word boundaries; the prompt stays short,
    # since the terminal would break a long one mid-word on a narrow screen.
    stdout_console().print("\nYour trainer name goes on your card; change it any time with quest config name.",
                           style="muted")
    question = "Your trainer name"
    while True:
        try:
            name = typer.prompt(question, default=settings.default_name)
        except typer.Abort:
            return  # the quest is started either way; the card shows the default name
        try:
            set_config(ctx, "name", name)
            return
        except QuestError as exc:  # too long or empty: say why and ask again
            typer.echo(str(exc), err=True)


@app.command()
def check(
    quest: Annotated[Optional[str], typer.Argument(metavar="QUEST", help="The quest to check (default: the one started last here).")] = None,
    task: Annotated[Optional[list[str]], typer.Option("--task", "-t", metavar="TASK", help="Check only this task (repeatable).")] = None,
    json_output: JsonOption = False,
) -> None:
    """Run the hidden tests against your code and report each task. Exit 0 when every required task passes, 1 otherwise."""
    raise typer.Exit(quick.check(quest, task, json_output))


@app.command()
def watch(
    quest: Annotated[Optional[str], typer.Argument(metavar="QUEST", help="The quest to check (default: the one started last here).")] = None,
    task: Annotated[Optional[list[str]], typer.Option("--task", "-t", metavar="TASK", help="Check only this task (repeatable).")] = None,
) -> None:
    """Check your code now, then again each time you save a file of your package. Ctrl-C stops."""
    with _errors():
        from functools import partial

        from rich.text import Text

        from ugrad_quest.render import safe_text, views
        from ugrad_quest.render.console import stderr_console, stdout_console
        from ugrad_quest.render.progress import check_progress
        from ugrad_quest.services import watch as watching
        from ugrad_quest.services.check import check_quest

        ctx = _context()
        ws = ctx.workspace()
        out, err = stdout_console(), stderr_console()
        folder = watching.watched_folder(ws.root, ws.package, ws.lang)
        where = f"{folder.relative_to(ws.root)}/" if folder != ws.root else safe_text.shown(str(ws.root))

        def run_once(changed, warm) -> None:
            if changed:  # a re-run; the first run has no changes
                if out.is_terminal:
                    out.clear()
                names = ", ".join(safe_text.shown(p.as_posix()) for p in changed)  # any name a file can have
                out.print(Text("Changed: " + names, style="muted"))
            try:
                result = check_quest(ctx, quest, task, display=partial(check_progress, err), warm=warm)
                out.print(views.check(result))
            except QuestError as exc:
                if not changed:
                    raise  # a usage error at the start stops watch, as it stops check
                typer.echo(f"Error: {safe_text.shown(str(exc))}", err=True)  # e.g. a locked database: save again

        def waiting() -> None:
            out.print(Text(f"\nWatching {where} for changes… (Ctrl-C to stop)", style="muted"))

        try:
            with watching.warm_judge() as warm:
                watching.watch(partial(run_once, warm=warm), partial(watching.snapshot, ws.root, ws.package, ws.lang),
                               waiting=waiting)
        except KeyboardInterrupt:
            # A fresh console: Ctrl-C between rich's write of a line and the clearing of its buffer
            # (e.g. just after "Watching…") would have `out` print that line a second time.
            farewell = stdout_console()
            farewell.print(Text(("\n" if farewell.is_terminal else "") + "Stopped watching.", style="muted"))


@app.command()
def hint(
    task: Annotated[Optional[str], typer.Argument(metavar="TASK", help="The task (default: the first one not yet passed).")] = None,
    yes: Annotated[bool, typer.Option("--yes", "-y", help="Reveal without asking, even when the hint costs XP.")] = False,
) -> None:
    """Show the next hint for a task of the current quest. A hint costs part of the task's XP unless it already passed: you are asked first."""
    with _errors():
        from ugrad_quest.render import views
        from ugrad_quest.render.console import stdout_console
        from ugrad_quest.services.hint import next_hint

        out = stdout_console()

        def confirm(offer) -> bool:
            if yes:
                return True
            if not interactive():
                return False  # a script gets the price and the --yes to pass, never a silent charge
            out.print(views.hint_price(offer), markup=False)  # wrapped between words, unlike a long prompt
            return typer.confirm("Reveal it?", default=False)

        out.print(views.hint(next_hint(_context(), task, confirm)))


app.command()(game.profile)
app.command("log")(game.log)
app.command()(game.badges)
app.command()(game.quiz)
app.command()(game.config)
app.command()(share.export)
app.command()(share.verify)


@app.command()
def lint(
    quest: Annotated[str, typer.Argument(metavar="QUEST", help="The quest to lint.")],
    reference: Annotated[Optional[Path], typer.Option("--reference", metavar="DIR", help="A folder holding a reference solution package that must pass.")] = None,
    package: Annotated[str, typer.Option("--package", metavar="NAME", help="The reference solution's package name (default: ugrad).")] = "ugrad",
) -> None:
    """For quest authors: check that the starter fails, a reference passes, and every hidden test names a task."""
    with _errors():
        from ugrad_quest.render import views
        from ugrad_quest.render.console import stdout_console
        from ugrad_quest.services.lint import lint_quest

        report = lint_quest(_context(), quest, reference, package)
        stdout_console().print(views.lint(report))
    raise typer.Exit(0 if report.ok else 1)


# Every command's help in one layout (cli/help.py): plain metavars, no type labels.
for _command in app.registered_commands:
    _command.cls = QuestCommand


def main() -> None:
    """The entry point of installs made before it moved to cli/main.py."""
    from ugrad_quest.cli.main import main as entry

    entry()
