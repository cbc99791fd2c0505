"""Layouts that read well at any console width, from 60 columns up.

A table column that wraps gets whatever width the other columns leave it: at 60 columns a message
or a description ends up in a column of a dozen characters. Instead, long text goes under its row,
indented, across the full width (`NotedRows`), and a table is shown only where every row fits on
one line (`WideOrNarrow`).
"""

from __future__ import annotations

from collections.abc import Sequence

from rich.console import Console, ConsoleOptions, RenderableType, RenderResult
from rich.measure import Measurement
from rich.padding import Padding
from rich.segment import Segment
from rich.table import Table

INDENT = 4
"""How far a row's note stands in from the row."""
UNBOUNDED = 10_000


def row_table() -> Table:
    """A borderless table for NotedRows: add no_wrap columns to it, so that one row is one line."""
    return Table(box=None, pad_edge=False, show_header=False, show_edge=False)


class NotedRows:
    """The rows of `table`, one line each, each followed by its note (if any) indented by `indent`
    and wrapped across the full width.

    Rich cannot span a cell over several columns, so the rows are rendered as one table (their
    columns line up) and the notes are put between its lines. Every column must be no_wrap and the
    table headerless, so that line i is row i.
    """

    def __init__(self, table: Table, notes: Sequence[RenderableType | None], indent: int = INDENT):
        assert table.row_count == len(notes) and not table.show_header
        self.table = table
        self.notes = notes
        self.indent = indent

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        lines = console.render_lines(self.table, options, pad=False)
        for line, note in zip(lines, self.notes):
            yield from line
            yield Segment.line()
            if note is not None:
                yield Padding(note, (0, 0, 0, self.indent), expand=False)


class WideOrNarrow:
    """`wide` (usually a table) where it fits the width with no cell wrapped, `narrow` elsewhere."""

    def __init__(self, wide: RenderableType, narrow: RenderableType):
        self.wide = wide
        self.narrow = narrow

    def __rich_console__(self, console: Console, options: ConsoleOptions) -> RenderResult:
        # Measured with room to spare, the table asks for the width its widest cells need on one line.
        natural = Measurement.get(console, options.update_width(UNBOUNDED), self.wide).maximum
        yield self.wide if natural <= options.max_width else self.narrow
