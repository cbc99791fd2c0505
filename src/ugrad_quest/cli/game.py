"""The game's commands: profile, log, badges, quiz and config. Registered on the app in cli/app.py."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Optional

import typer

from ugrad_quest.cli import quick
from ugrad_quest.cli.common import context, errors, interactive
from ugrad_quest.cli.options import JsonOption
from ugrad_quest.errors import QuestError


def _print_json(data) -> None:
    from ugrad_quest.render import json_view

    typer.echo(json_view.dumps(data))


def profile(
    html_file: Annotated[Optional[Path], typer.Option("--html", metavar="FILE", help="Save the card as one "
                         "self-contained web page (no scripts, nothing fetched). Replaces only a card written before.")] = None,
    svg_file: Annotated[Optional[Path], typer.Option("--svg", metavar="FILE", help="Save a compact 495x195 SVG card, "
                        "e.g. for a README. Replaces only a card written before.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Show your trainer card: level, creature, streak, heatmap, badges and the latest log.

    With --html and/or --svg the card is saved to those files instead of printed.
    """
    quick.profile(html_file, svg_file, json_output)


def log(
    limit: Annotated[Optional[int], typer.Option("--limit", "-n", metavar="N", help="Show only the latest N awards.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Show every XP award, newest first, each with a review of what you demonstrated."""
    with errors():
        from ugrad_quest.services.log import read_log

        if limit is not None and limit < 1:  # checked here: typer's min=1 would label the option "[x>=1]"
            raise QuestError(f"--limit wants a number of awards, 1 or more; got {limit}.")
        entries = read_log(context(), limit)
        if json_output:
            from ugrad_quest.render import json_view

            _print_json([json_view.log_entry(e) for e in entries])
            return
        from ugrad_quest.render import game_views
        from ugrad_quest.render.console import stdout_console

        stdout_console().print(game_views.log(entries))


def badges(json_output: JsonOption = False) -> None:
    """List every badge, earned or not, with its tier and how to earn it."""
    with errors():
        from ugrad_quest.services.badges import list_badges

        views = list_badges(context())
        if json_output:
            from ugrad_quest.render import json_view

            _print_json(json_view.badges(views))
            return
        from ugrad_quest.render import game_views
        from ugrad_quest.render.console import stdout_console

        stdout_console().print(game_views.badges(views))


def quiz(
    quest: Annotated[Optional[str], typer.Argument(metavar="QUEST", help="The quest whose quiz to take "
                                                   "(default: the one started last in this workspace).")] = None,
    question: Annotated[Optional[str], typer.Option("--question", "-q", metavar="ID", help="The question to answer "
                                                    "(default: the first not yet answered correctly).")] = None,
    answer: Annotated[Optional[str], typer.Option("--answer", "-a", metavar="ANSWER", help="Answer without being "
                                                  "asked: a letter for a multiple-choice question, a number otherwise.")] = None,
    json_output: JsonOption = False,
) -> None:
    """Answer concept questions about a quest. The first correct answer earns XP (half after a wrong one).

    In a terminal it asks each open question in turn; with --answer it answers one and exits 0 if
    right, 1 if wrong. Outside a workspace, name the quest.
    """
    with errors():
        from ugrad_quest.render import game_views
        from ugrad_quest.render.console import stdout_console
        from ugrad_quest.services import quiz as quizzes

        ctx = context()
        out = stdout_console()
        if answer is not None:
            result = quizzes.answer(ctx, quest, question, answer)
            if json_output:
                from ugrad_quest.render import json_view

                _print_json(json_view.quiz_answer(result))
            else:
                out.print(game_views.quiz_answer(result))
            raise typer.Exit(0 if result.correct else 1)
        state = quizzes.quiz_state(ctx, quest)
        if json_output:
            from ugrad_quest.render import json_view

            _print_json(json_view.quiz_state(state))
            return
        if question is not None:
            quizzes.question_of(ctx.catalog.get(state.quest_id), question)  # an unknown one is a usage error
        todo = state.open if question is None else [q for q in state.questions if q.question.id == question]
        if not interactive():
            out.print(game_views.quiz_overview(state, todo[0] if todo else None))
            return
        out.print(game_views.quiz_overview(state, None))
        for item in todo:
            out.print(game_views.question(item))
            reply = typer.prompt("Your answer (Enter to skip)", default="", show_default=False)
            if not reply.strip():
                continue
            try:
                result = quizzes.answer(ctx, state.quest_id, item.question.id, reply)
            except QuestError as exc:  # a reply that is not an answer: say so and go on to the next
                out.print(game_views.problem(str(exc)))
                continue
            out.print(game_views.quiz_answer(result))


def config(
    key: Annotated[Optional[str], typer.Argument(metavar="KEY", help="name or title; omit to show both.")] = None,
    value: Annotated[Optional[str], typer.Argument(metavar="VALUE", help="The new value; omit to show the current one.")] = None,
    unset: Annotated[bool, typer.Option("--unset", help="Go back to the default (git's user.name; a title by level).")] = False,
) -> None:
    """Show or set your trainer name and title, as shown on your card."""
    with errors():
        from ugrad_quest.render import game_views
        from ugrad_quest.render.console import stdout_console
        from ugrad_quest.services import config as settings

        ctx = context()
        if key is not None:
            settings.check_key(key)
        if unset and value is not None:
            raise QuestError("Give either a value or --unset, not both.")
        if key is not None and (value is not None or unset):
            current = settings.set_config(ctx, key, value)
        else:
            current = settings.read_config(ctx)
        stdout_console().print(game_views.config(current, key))
