"""Text views of the game's commands: log, badges, quiz and config."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ugrad_quest.render import safe_text
from ugrad_quest.render.card import badge_label, tier_glyph
from ugrad_quest.render.layout import INDENT, NotedRows, WideOrNarrow, row_table
from ugrad_quest.services.config import TrainerConfig
from ugrad_quest.services.profile import BadgeView, LogEntry
from ugrad_quest.services.quiz import LETTERS, AnswerResult, QuestionState, QuizState

def problem(message: str) -> Text:
    return Text(message, style="failed")


def log(entries: list[LogEntry]) -> RenderableType:
    if not entries:
        return Text("No XP yet: run quest start value, then quest check.", style="muted")
    parts: list[RenderableType] = []
    for e in entries:
        subject = "/".join(x for x in (e.quest_id, e.subject) if x)
        parts.append(Text.assemble((e.date.isoformat(), "muted"), "  ", (f"+{e.xp} XP", "xp"), "  ",
                                   (e.kind, "title"), ("  " + subject, "muted")))
        # A review quotes the failures fixed on the way, and those came from the learner's code.
        parts.append(Padding(Text(safe_text.shown(e.review)), (0, 0, 1, INDENT), expand=False))
    total = sum(e.xp for e in entries)
    parts.append(Text(f"{len(entries)} awards, {total} XP.", style="muted"))
    return Group(*parts)


def badges(views: list[BadgeView]) -> RenderableType:
    """A table with one line per badge; where that does not fit, how to earn each goes under its line."""
    table = Table(box=None, pad_edge=False, header_style="muted")
    narrow = row_table()
    for name, justify in (("", "left"), ("badge", "left"), ("tier", "left"), ("XP", "right")):
        table.add_column(name, justify=justify, no_wrap=True)
        narrow.add_column(justify=justify, no_wrap=True)
    table.add_column("how to earn it", no_wrap=True)
    notes = []
    for b in views:
        mark = Text("✔", style="passed") if b.earned_on else Text("·", style="muted")
        name = badge_label(b.name, b.tier) if b.earned_on else Text(f"{tier_glyph(b.tier)} {b.name}", style="muted")
        how = Text(b.description)
        if b.earned_on:
            how.append(f" Earned {b.earned_on.isoformat()}.", style="muted")
        cells = (mark, name, Text(b.tier, style=f"tier.{b.tier}"), f"+{b.xp}")
        table.add_row(*cells, how)
        narrow.add_row(*cells)
        notes.append(how)
    earned = sum(1 for b in views if b.earned_on)
    return Group(WideOrNarrow(table, NotedRows(narrow, notes)),
                 Text(f"\n{earned} of {len(views)} badges earned.", style="muted"))


def question(item: QuestionState) -> RenderableType:
    """The question's id and worth on one line, then its prompt and choices indented under it; a long
    choice wraps under its own text, not under its letter."""
    q = item.question
    head = Text.assemble("\n", (q.id, "muted"), "  ")
    head.append(f"+{q.xp} XP" if not item.solved else "(answered)", style="xp" if not item.solved else "muted")
    body = Table.grid(padding=(0, 1))
    body.add_column(no_wrap=True)
    body.add_column()
    for letter, choice in zip(LETTERS, q.choices):
        body.add_row(f"{letter})", choice)
    lines = [Text(q.prompt, style="title"), body]
    if q.numeric:
        lines.append(Text("Answer with a number.", style="muted"))
    return Group(head, *(Padding(line, (0, 0, 0, 2), expand=False) for line in lines))


def quiz_overview(state: QuizState, next_up: QuestionState | None) -> RenderableType:
    solved = sum(1 for q in state.questions if q.solved)
    head = Text.assemble(("Quiz: ", "title"), (state.title, "xp"),
                         (f"  {solved}/{len(state.questions)} answered correctly", "muted"))
    if next_up is None:
        if not state.open:
            return Group(head, Text("Every question is answered correctly. Well done.", style="passed"))
        return head
    # The command on a line of its own, so it wraps (if ever) between its words, never inside one.
    how = Group(Text("Answer with:", style="muted"),
                Padding(Text(f"quest quiz {state.quest_id} --question {next_up.question.id} --answer …",
                             style="title"), (0, 0, 0, 2), expand=False))
    return Group(head, question(next_up), how)


def quiz_answer(result: AnswerResult) -> RenderableType:
    q = result.question
    text = Text()
    if result.correct:
        text.append("✔ Right. ", style="passed")
        if result.xp_awarded:
            text.append(f"+{result.xp_awarded} XP", style="xp")
        elif result.already_solved:
            text.append("(already answered correctly: no XP the second time)", style="muted")
        text.append(f"\nAnswer: {result.expected}")
        if q.explanation:
            text.append(f"\n{q.explanation}", style="hint")
    else:
        # The right answer is not shown: the learner can come back to it, for half the XP.
        text.append(f"✘ Not quite: {result.given!r} is not it. ", style="failed")
        text.append("Think it through and try again (a right answer now earns half XP)." if not result.already_solved
                    else "You answered it correctly before.", style="muted")
    for name, tier, xp in result.badges:
        text.append("\nBadge earned: ", style="xp").append(name, style=f"tier.{tier}")
        text.append(f" ({tier}, +{xp} XP)", style="muted")
    return text


def config(current: TrainerConfig, key: str | None) -> RenderableType:
    """Each setting and its value; a long value wraps under itself, not under the setting's name."""
    rows = {"name": (current.name, f"{current.default_name} (default, from git or your login)"),
            "title": (current.title, "by level (default)")}
    table = Table.grid(padding=(0, 2))
    table.add_column(no_wrap=True, style="title")
    table.add_column()
    for name, (value, default) in rows.items():
        if key is None or name == key:
            table.add_row(name, Text(value, style="") if value is not None else Text(default, style="muted"))
    return table
