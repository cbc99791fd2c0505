"""The activity heatmap: GitHub-style, one character per day.

Weeks are columns and start on Monday (ISO weeks); rows are Mon..Sun, each labelled. The current week
is the rightmost column, its days after today left blank, and as many earlier weeks as fit (at most
53) stand to its left. A day shows "·" without XP and ░ ▒ ▓ █ for Heatmap.level 1-4, so the levels
read the same without colour; a day that broke a streak shows "×" and a day a freeze covered "*".
Every line is built to fit `width` and never wraps.
"""

from __future__ import annotations

import datetime as dt
from typing import TYPE_CHECKING

from rich.console import Group, RenderableType
from rich.text import Text

if TYPE_CHECKING:  # annotations only: quest list loads these renderers without the profile service
    from ugrad_quest.services.profile import Heatmap

MAX_WEEKS = 53
DAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")
LABEL_WIDTH = 4
"""A row label and the space after it: "Mon "."""
EMPTY = "·"
LEVELS = ("░", "▒", "▓", "█")
MISSED = "×"
FROZEN = "*"
LEVEL_STYLES = ("green", "green", "bold green", "bold green")
EMPTY_STYLE = "muted"
MISSED_STYLE = "red"
FROZEN_STYLE = "bold cyan"
LEGEND = "Less " + " ".join(LEVELS) + " More"


def weeks_that_fit(width: int) -> int:
    """How many week columns fit beside the row labels in `width` cells (at least 1, at most 53)."""
    return max(1, min(MAX_WEEKS, width - LABEL_WIDTH))


def first_monday(today: dt.date, weeks: int) -> dt.date:
    """The Monday that starts the leftmost of `weeks` columns ending with the current week."""
    return today - dt.timedelta(days=today.weekday() + 7 * (weeks - 1))


def cell(h: Heatmap, day: dt.date) -> tuple[str, str]:
    """The character and style of one day."""
    if day > h.today:
        return " ", ""
    level = h.level(day)
    if level:
        return LEVELS[level - 1], LEVEL_STYLES[level - 1]
    if day in h.missed:
        return MISSED, MISSED_STYLE
    if day in h.frozen:
        return FROZEN, FROZEN_STYLE
    return EMPTY, EMPTY_STYLE


def month_row(start: dt.date, weeks: int, today: dt.date) -> Text | None:
    """Month names over the columns holding a month's first day, those that fit without touching."""
    row = [" "] * weeks
    free_from = 0
    for col in range(weeks):
        monday = start + dt.timedelta(weeks=col)
        first = next((monday + dt.timedelta(days=d) for d in range(7)
                      if (monday + dt.timedelta(days=d)).day == 1), None)
        if first is None or first > today:
            continue
        name = first.strftime("%b")
        if col >= free_from and col + len(name) <= weeks:
            row[col:col + len(name)] = name
            free_from = col + len(name) + 1
    if not "".join(row).strip():
        return None
    return Text(" " * LABEL_WIDTH + "".join(row), style="muted", no_wrap=True, overflow="crop")


def legend(h: Heatmap, start: dt.date, width: int) -> list[Text]:
    """`Less ░ ▒ ▓ █ More`, and what × and * mean when the map shows them, wrapped to `width`."""
    parts = [Text.assemble(("Less ", "muted"), *((Text(g + " ", s)) for g, s in zip(LEVELS, LEVEL_STYLES)),
                           ("More", "muted"))]
    shown = {d for d in h.missed | h.frozen if start <= d <= h.today}
    if shown & h.missed:
        parts.append(Text.assemble((MISSED, MISSED_STYLE), (" missed (streak reset)", "muted")))
    if shown & h.frozen:
        parts.append(Text.assemble((FROZEN, FROZEN_STYLE), (" frozen (freeze used)", "muted")))
    lines: list[Text] = []
    indent = LABEL_WIDTH if width >= LABEL_WIDTH + len(LEGEND) else 0
    for part in parts:
        if len(part) > width - indent:  # too long for this width: the short form
            part = part[:part.plain.find(" (")] if " (" in part.plain else part
        if lines and len(lines[-1]) + 3 + len(part) <= width:
            lines[-1].append("   ").append_text(part)
        else:
            lines.append(Text(" " * indent, no_wrap=True, overflow="crop").append_text(part))
    return lines


def heatmap(h: Heatmap, width: int) -> RenderableType:
    """The heatmap in at most `width` cells: month names, seven labelled rows of days, the legend."""
    weeks = weeks_that_fit(width)
    start = first_monday(h.today, weeks)
    lines: list[Text] = []
    months = month_row(start, weeks, h.today)
    if months is not None:
        lines.append(months)
    for row, label in enumerate(DAYS):
        line = Text(no_wrap=True, overflow="crop").append(label.ljust(LABEL_WIDTH), style="muted")
        for col in range(weeks):
            char, style = cell(h, start + dt.timedelta(days=7 * col + row))
            line.append(char, style=style)
        lines.append(line)
    lines.extend(legend(h, start, width))
    return Group(*lines)
