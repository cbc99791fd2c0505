"""The commands a learner runs most, `quest check`, `quest list` and `quest profile`, without typer.

Typer parses every option through pydantic, and loading both takes longer than `quest list` needs in
all, and delays the start of `quest check`'s judge by a tenth of a second. So cli/main.py hands the
plain forms of these commands (`check [QUEST] [--task T]... [--json]`, `list [--json]`, `profile
[--json]`) straight to the functions below; anything else (--help, --task=T, a typo) goes through the
typer app, whose commands call the same functions. Both paths behave the same by construction.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import partial
from pathlib import Path

from ugrad_quest.cli.common import context, echo, errors
from ugrad_quest.errors import QuestError


def list_quests(json_output: bool = False) -> int:
    """List the quests and where you stand on each (locked, available, in progress, complete)."""
    with errors():
        from ugrad_quest.services.listing import list_quests as listed

        rows = listed(context())
        if json_output:
            from ugrad_quest.render import json_view

            echo(json_view.dumps(json_view.quest_list(rows)))
            return 0
        from ugrad_quest.render import views
        from ugrad_quest.render.console import stdout_console

        stdout_console().print(views.quest_list(rows))
    return 0


def profile(html_file: Path | None = None, svg_file: Path | None = None, json_output: bool = False) -> int:
    """The trainer card: printed, as JSON, or saved as web and SVG cards."""
    with errors():
        from ugrad_quest.services.profile import build_profile

        files = [f for f in (html_file, svg_file) if f is not None]
        if json_output and files:
            raise QuestError("--json prints the card's data to stdout; give it without --html and --svg.")
        if html_file is not None and svg_file is not None and html_file.resolve() == svg_file.resolve():
            raise QuestError("--html and --svg need two different files.")
        if files:
            from ugrad_quest.services.card_file import check_target

            for f in files:  # before anything is written, so one bad path leaves the other file alone too
                check_target(f)
        card = build_profile(context())
        if json_output:
            from ugrad_quest.render import json_view

            echo(json_view.dumps(json_view.profile(card)))
            return 0
        if files:
            _save_cards(card, html_file, svg_file)
            return 0
        from ugrad_quest.render import views
        from ugrad_quest.render.console import stdout_console

        console = stdout_console()
        console.print(views.profile(card, console))
    return 0


def _save_cards(card, html_file: Path | None, svg_file: Path | None) -> None:
    from ugrad_quest.render.console import file_size
    from ugrad_quest.services.card_file import save_card

    if html_file is not None:
        from ugrad_quest.render.html_card import html_card

        saved = save_card(html_file, html_card(card))
        echo(f"Wrote trainer card to {html_file} ({file_size(saved.size)})")
    if svg_file is not None:
        from ugrad_quest.render.svg_card import svg_card

        saved = save_card(svg_file, svg_card(card))
        echo(f"Wrote SVG card to {svg_file} ({file_size(saved.size)})")


def check(quest: str | None = None, tasks: list[str] | None = None, json_output: bool = False) -> int:
    """Judge, award, report; 0 when every required task passes, 1 otherwise."""
    with errors():
        from ugrad_quest.services.check import check_quest

        result = check_quest(context(), quest, tasks, display=partial(check_display, not json_output))
        if json_output:
            from ugrad_quest.render import json_view

            echo(json_view.dumps(json_view.check(result)))
        else:
            from ugrad_quest.render import views
            from ugrad_quest.render.console import stdout_console

            stdout_console().print(views.check(result))
        return 0 if result.passed else 1


@contextmanager
def check_display(enabled: bool = True) -> Iterator:
    """The progress bar of a check (None when it is not shown), entered once the judge is at work:
    the renderers load meanwhile, not before the judge starts."""
    from ugrad_quest.render import json_view, views  # noqa: F401  (loaded now: the result is shown with them)
    from ugrad_quest.render.console import stderr_console
    from ugrad_quest.render.progress import check_progress

    with check_progress(stderr_console(), enabled=enabled) as bar:
        yield bar


def _words(rest: list[str], takes_value: frozenset[str] = frozenset()) -> tuple[bool, list[str], list[str]] | None:
    """(--json given, positional words, values of the options in takes_value), or None for any other
    option or form (-tX, --task=X, a value that looks like an option): typer decides those."""
    json_output, positional, values = False, [], []
    words = iter(rest)
    for word in words:
        if word == "--json":
            json_output = True
        elif word in takes_value:
            value = next(words, None)
            if value is None or value.startswith("-"):
                return None
            values.append(value)
        elif word.startswith("-"):
            return None
        else:
            positional.append(word)
    return json_output, positional, values


def command(argv: list[str]) -> Callable[[], int] | None:
    """The quick command `argv` (the words after `quest`) asks for, ready to run; None when typer
    must parse it."""
    if not argv:
        return None
    name, rest = argv[0], argv[1:]
    if name == "check":
        words = _words(rest, frozenset({"--task", "-t"}))
        if words is not None and len(words[1]) <= 1:
            json_output, positional, tasks = words
            return partial(check, positional[0] if positional else None, tasks or None, json_output)
    elif name in ("list", "profile"):
        words = _words(rest)
        if words is not None and not words[1]:
            return partial(list_quests if name == "list" else profile, json_output=words[0])
    return None
