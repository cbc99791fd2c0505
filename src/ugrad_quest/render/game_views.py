"""Text views of the game's commands: log, badges, quiz and config."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.padding import Padding
from rich.table import Table
from rich.text import Text

from ugrad_quest.render.card import badge_label, tier_glyph
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
        parts.append(Padding(Text(e.review), (0, 0, 1, 4), expand=False))
    total = sum(e.xp for e in entries)
    parts.append(Text(f"{len(entries)} awards, {total} XP.", style="muted"))
    return Group(*parts)


def badges(views: list[BadgeView]) -> RenderableType:
    table = Table(box=None, pad_edge=False, header_style="muted")
    table.add_column("", no_wrap=True)
    table.add_column("badge", no_wrap=True)
    table.add_column("tier", no_wrap=True)
    table.add_column("XP", justify="right", no_wrap=True)
    table.add_column("how to earn it", ratio=1)
    for b in views:
        mark = Text("✔", style="passed") if b.earned_on else Text("·", style="muted")
        name = badge_label(b.name, b.tier) if b.earned_on else Text(f"{tier_glyph(b.tier)} {b.name}", style="muted")
        how = Text(b.description)
        if b.earned_on:
            how.append(f" Earned {b.earned_on.isoformat()}.", style="muted")
        table.add_row(mark, name, Text(b.tier, style=f"tier.{b.tier}"), f"+{b.xp}", how)
    earned = sum(1 for b in views if b.earned_on)
    return Group(table, Text(f"\n{earned} of {len(views)} badges earned.", style="muted"))


def question(item: QuestionState) -> RenderableType:
    q = item.question
    text = Text()
    text.append(f"\n[{q.id}] ", style="muted").append(q.prompt, style="title")
    text.append(f"  (+{q.xp} XP)" if not item.solved else "  (answered)", style="xp" if not item.solved else "muted")
    for letter, choice in zip(LETTERS, q.choices):
        text.append(f"\n  {letter}) {choice}")
    if q.numeric:
        text.append("\n  Answer with a number.", style="muted")
    return text


def quiz_overview(state: QuizState, next_up: QuestionState | None) -> RenderableType:
    solved = sum(1 for q in state.questions if q.solved)
    head = Text.assemble(("Quiz: ", "title"), (state.title, "xp"),
                         (f"  {solved}/{len(state.questions)} answered correctly", "muted"))
    if next_up is None:
        if not state.open:
            return Group(head, Text("Every question is answered correctly. Well done.", style="passed"))
        return head
    how = Text.assemble(("Answer with ", "muted"),
                        (f"quest quiz {state.quest_id} --question {next_up.question.id} --answer …", "title"))
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
    rows = {"name": (current.name, f"{current.default_name} (default, from git or your login)"),
            "title": (current.title, "by level (default)")}
    text = Text()
    for name, (value, default) in rows.items():
        if key is not None and name != key:
            continue
        text.append(f"{name:<6}", style="title").append(value if value is not None else default,
                                                          style="" if value is not None else "muted")
        text.append("\n")
    text.rstrip()
    return text
