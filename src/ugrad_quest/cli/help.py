"""The layout of `quest --help` and `quest COMMAND --help`.

Typer's own help labels every parameter with its Python type (`<bool>`, `<list[str]>`, `<int range>
[x>=1]`) and keeps a docstring's line breaks, which reads like a stack trace at 60 columns. These
classes write help the way classic CLIs do: a usage line, the docstring rewrapped to the terminal,
then each argument and option with a plain metavar (QUEST, TASK, FILE, N) or none for a flag, its help
wrapped beside it. Lines break only between words (never after the hyphen of "Ctrl-C"). Only the click
Command API and the formatter's write() are used, so the layout is the same for every typer release.
"""

from __future__ import annotations

import inspect
import shutil
import textwrap

from typer import echo
from typer.core import TyperCommand, TyperGroup

COLUMN_MAX = 30
"""The widest an argument or option may be and still have its help beside it, not under it."""
INDENT = 2
MAX_WIDTH = 78
"""Help lines are as long as the terminal is wide, up to this (as click's)."""


def help_width() -> int:
    """The width help is wrapped to, from the terminal (COLUMNS where it is set). Measured here, not
    taken from click's formatter, whose test runner pins every width to 80."""
    return max(min(shutil.get_terminal_size().columns - 2, MAX_WIDTH), 40)


def _wrap(text: str, width: int) -> list[str]:
    return textwrap.wrap(" ".join(text.split()), width=max(width, 20), break_on_hyphens=False,
                         break_long_words=False)


def _metavar(param) -> str:
    return param.metavar or param.name.upper()


def _usage_pieces(command, ctx) -> list[str]:
    pieces = [command.options_metavar] if command.options_metavar else []
    for param in command.get_params(ctx):
        if param.param_type_name == "argument":
            name = _metavar(param) + ("..." if param.nargs != 1 else "")
            pieces.append(name if param.required else f"[{name}]")
    return pieces


def _rows(command, ctx, kind: str) -> list[tuple[str, str]]:
    rows = []
    for param in command.get_params(ctx):
        if param.param_type_name != kind or getattr(param, "hidden", False):
            continue
        if kind == "argument":
            term = _metavar(param)
        else:
            term = ", ".join(sorted(param.opts + param.secondary_opts, key=len))  # -t before --task
            if not (param.is_flag or param.count):
                term += " " + _metavar(param)
        rows.append((term, param.help or ""))
    return rows


def _write_paragraphs(formatter, text: str, width: int) -> None:
    for paragraph in text.split("\n\n"):
        formatter.write("\n")
        for line in _wrap(paragraph, width - INDENT):
            formatter.write(" " * INDENT + line + "\n")


def _write_section(formatter, title: str, rows: list[tuple[str, str]], width: int) -> None:
    """Each term with its help beside it, wrapped under itself; a term too wide for the column (at most
    a third of the width, so the help keeps two thirds) has its help on the next line."""
    if not rows:
        return
    formatter.write(f"\n{title}:\n")
    column = min(max(len(term) for term, _ in rows), COLUMN_MAX, (width - INDENT) // 3)
    left = INDENT + column + 2
    for term, text in rows:
        lines = _wrap(text, width - left) or [""]
        if len(term) > column:
            formatter.write(" " * INDENT + term + "\n")
        else:
            formatter.write(" " * INDENT + term.ljust(column + 2) + lines.pop(0) + "\n")
        for line in lines:
            formatter.write(" " * left + line + "\n")


def first_sentence(help_text: str | None) -> str:
    """A command's summary for the list of commands: the first sentence of its first paragraph."""
    paragraph = " ".join(inspect.cleandoc(help_text or "").split("\n\n")[0].split())
    head, dot, _ = paragraph.partition(". ")
    return head + dot.strip()


def write_help(command, ctx, formatter) -> None:
    width = help_width()
    formatter.write(f"Usage: {ctx.command_path} {' '.join(command.collect_usage_pieces(ctx))}\n")
    if command.help:
        _write_paragraphs(formatter, inspect.cleandoc(command.help).partition("\f")[0], width)
    _write_section(formatter, "Arguments", _rows(command, ctx, "argument"), width)
    _write_section(formatter, "Options", _rows(command, ctx, "option"), width)
    if isinstance(command, TyperGroup):
        commands = [(name, command.get_command(ctx, name)) for name in command.list_commands(ctx)]
        _write_section(formatter, "Commands", [(name, first_sentence(cmd.help)) for name, cmd in commands
                                               if cmd is not None and not cmd.hidden], width)


class QuestCommand(TyperCommand):
    def collect_usage_pieces(self, ctx) -> list[str]:
        return _usage_pieces(self, ctx)

    def format_help(self, ctx, formatter) -> None:
        write_help(self, ctx, formatter)


class QuestGroup(TyperGroup):
    def collect_usage_pieces(self, ctx) -> list[str]:
        return [*_usage_pieces(self, ctx), self.subcommand_metavar]

    def parse_args(self, ctx, args: list[str]) -> list[str]:
        # `quest` alone prints the help, as click does; typer's rich error handler would print nothing.
        if not args and self.no_args_is_help and not ctx.resilient_parsing:
            echo(ctx.get_help(), color=ctx.color)
            ctx.exit()
        return super().parse_args(ctx, args)

    def format_help(self, ctx, formatter) -> None:
        write_help(self, ctx, formatter)
