"""Text views of each command's result."""

from __future__ import annotations

from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ugrad_quest.render import card as trainer_card
from ugrad_quest.rules.creature import creature_for
from ugrad_quest.services.check import CheckResult
from ugrad_quest.services.hint import HintResult
from ugrad_quest.services.listing import QuestStatus
from ugrad_quest.services.profile import Profile
from ugrad_quest.services.start import INSTALLED, StartResult

MARKS = {"passed": "✔", "failed": "✘", "error": "!", "timeout": "⏱"}
STATUS_STYLE = {"complete": "passed", "in progress": "xp", "available": "title", "locked": "muted"}


def quest_list(rows: list[QuestStatus]) -> RenderableType:
    table = Table(box=None, pad_edge=False, show_edge=False)
    table.add_column("quest", style="title", no_wrap=True)
    table.add_column("status", no_wrap=True)
    table.add_column("tasks", justify="right", no_wrap=True)
    table.add_column("XP", justify="right", no_wrap=True)
    table.add_column("what you build", ratio=1)
    for row in rows:
        status = Text(row.status, style=STATUS_STYLE[row.status])
        if row.status == "locked":
            status.append(f" (needs {', '.join(row.requires)})", style="muted")
        table.add_row(row.id, status, f"{row.tasks_passed}/{row.tasks_total}", str(row.xp), row.title)
    return table


def start(result: StartResult) -> RenderableType:
    lines = Text()
    verb = "Restarted" if result.already_started else "Started"
    lines.append(f"{verb} quest ", style="title").append(result.title, style="xp")
    lines.append(f" in {result.workspace}\n")
    for rel in result.created:
        lines.append("  created  ", style="passed").append(f"{rel}\n")
    for rel in result.kept:
        lines.append("  kept     ", style="muted").append(f"{rel} (already there, not touched)\n")
    if result.package_source == INSTALLED:
        lines.append(f"  checking the installed package {result.package!r}; nothing was scaffolded\n", style="muted")
    lines.append("\nNext: ", style="title")
    lines.append(f"{result.first_task.title}. {result.first_task.concept}\n")
    lines.append("Edit your code, then run ", style="muted").append("quest check", style="title")
    lines.append(" (and ", style="muted").append("quest hint", style="title").append(" when stuck).", style="muted")
    return lines


def check(result: CheckResult) -> RenderableType:
    table = Table(box=None, pad_edge=False, show_header=False)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(ratio=1)
    table.add_column(justify="right", no_wrap=True)
    for task in result.tasks:
        mark = Text(MARKS[task.status], style=task.status)
        name = Text(task.id, style="title")
        if not task.required:
            name.append(" (bonus)", style="muted")
        if task.status == "passed":
            detail = Text(task.title)
            if task.message:  # a note from a passing test, e.g. a measured speed-up
                detail.append(f": {task.message}", style="muted")
        else:
            detail = Text(task.status + ": ", style=task.status).append(task.message or "", style="")
        xp = Text(f"+{task.xp_awarded} XP", style="xp") if task.xp_awarded else Text("")
        table.add_row(mark, name, detail, xp)
    parts: list[RenderableType] = [Text.assemble(("Checked ", "title"), (result.title, "xp"),
                                                 (f"  ({result.duration:.1f} s)", "muted")), table]
    if result.output_bytes:
        more = result.output_bytes - len(result.output.encode())
        shown = result.output.rstrip()[-1500:]  # Text is literal: brackets need no escaping
        note = f"\n… {more} more bytes not shown" if more > 0 else ""
        parts.append(Panel(Text(shown + note, style="muted"), title="your code printed", title_align="left"))
    for problem in result.problems:
        parts.append(Text(f"quest problem (not your code): {problem}", style="error"))
    for note in result.notes:
        parts.append(Text(f"Note: {note}.", style="muted"))
    summary = Text()
    if result.quest_xp_awarded:
        summary.append(f"Quest complete! +{result.quest_xp_awarded} XP for finishing {result.title}.\n", style="passed")
    for name, tier, xp in result.badges:
        summary.append("Badge earned: ", style="xp").append(name, style=f"tier.{tier}")
        summary.append(f" ({tier}, +{xp} XP)\n", style="muted")
    if result.xp_awarded:
        summary.append(f"+{result.xp_awarded} XP this check", style="xp")
        if result.level_after > result.level_before:
            summary.append(f"  Level up! Lv. {result.level_before} → Lv. {result.level_after}", style="xp")
            before, after = creature_for(result.level_before), creature_for(result.level_after)
            if after.stage > before.stage:
                summary.append(f"\nWhat? Your {before.name} evolved into {after.name}! (quest profile to see it)",
                               style="xp")
        summary.append("\n")
    if result.passed:
        summary.append("The checked tasks pass." if result.partial else "All required tasks pass.", style="passed")
        if result.next_task:
            summary.append(f" Next: {result.next_task}.", style="title")
    else:
        summary.append("Not there yet. ", style="failed")
        summary.append("Fix the first failing task, run quest check again, or ask for a quest hint.")
    parts.append(summary)
    return Group(*parts)


def hint_price(offer) -> str:
    """The sentence that tells the learner what a hint costs, before it is revealed."""
    floor = offer.task_xp - offer.task_xp // 2
    spent = f", {offer.spent} already spent" if offer.spent else ""
    return (f"Hint {offer.number}/{offer.total} for {offer.task_id} costs {offer.cost} XP of the task's "
            f"{offer.task_xp} when it passes{spent} (a task always keeps at least {floor}).")


def hint(result: HintResult) -> RenderableType:
    parts: list[RenderableType] = []
    for i, text in enumerate(result.earlier, 1):
        parts.append(Text.assemble((f"Hint {i}/{result.total}: ", "muted"), (text, "muted")))
    if result.declined:
        parts.append(Text(hint_price(result.declined)))
        parts.append(Text.assemble("Not revealed. Run ", ("quest hint --yes", "title"), " to reveal it.",
                                   style="muted"))
        return Group(*parts)
    if not result.number:
        return Text(result.text)
    title = f"Hint {result.number}/{result.total} for {result.task_id} ({result.task_title})"
    body = Text(result.text, style="hint")
    if result.cost:
        body.append(f"\n-{result.cost} XP from {result.task_id} when it passes.", style="muted")
    if result.number == result.total:
        body.append("\nThat was the last hint for this task.", style="muted")
    parts.append(Panel(body, title=title, title_align="left"))
    return Group(*parts)


def lint(report) -> RenderableType:
    text = Text()
    text.append(f"Quest {report.quest_id}: ", style="title")
    text.append("sound\n" if report.ok else f"{len(report.problems)} problem(s)\n", style="passed" if report.ok else "failed")
    text.append("  starter:   " + ", ".join(f"{t} {s}" for t, s in report.starter_statuses.items()) + "\n", style="muted")
    if report.reference_statuses:
        text.append("  reference: " + ", ".join(f"{t} {s}" for t, s in report.reference_statuses.items()) + "\n", style="muted")
    for problem in report.problems:
        text.append(f"  ✘ {problem}\n", style="failed")
    return text


def xp_bar(into: int, span: int, width: int) -> Text:
    return trainer_card.xp_bar(into, span, width)


def profile(p: Profile, console: Console) -> RenderableType:
    """The trainer card (render/card.py), laid out for the console's width."""
    return trainer_card.card(p, console)
