"""Text views of each command's result."""

from __future__ import annotations

from typing import TYPE_CHECKING

from rich.console import Console, Group, RenderableType
from rich.padding import Padding
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ugrad_quest.render import card as trainer_card
from ugrad_quest.render import safe_text
from ugrad_quest.render.layout import NotedRows, WideOrNarrow, row_table
from ugrad_quest.rules.creature import creature_for
from ugrad_quest.workspace import shown

if TYPE_CHECKING:  # each command loads only its own service (quest list must start fast)
    from ugrad_quest.services.check import CheckResult
    from ugrad_quest.services.hint import HintResult
    from ugrad_quest.services.listing import QuestStatus
    from ugrad_quest.services.profile import Profile
    from ugrad_quest.services.start import StartResult

MARKS = {"passed": "✔", "failed": "✘", "error": "!", "timeout": "⏱"}
STATUS_STYLE = {"complete": "passed", "in progress": "xp", "available": "title", "locked": "muted"}


def quest_list(rows: list[QuestStatus]) -> RenderableType:
    """A table with one line per quest; where that does not fit, what each quest builds goes under its line."""
    table = Table(box=None, pad_edge=False, show_edge=False)
    for name, justify in (("quest", "left"), ("status", "left"), ("tasks", "right"), ("XP", "right"),
                          ("what you build", "left")):
        table.add_column(name, justify=justify, no_wrap=True)
    narrow = row_table()
    for justify in ("left", "left", "right", "right"):
        narrow.add_column(justify=justify, no_wrap=True)
    for row in rows:
        quest = Text(row.id, style="title")
        status = Text(row.status, style=STATUS_STYLE[row.status])
        if row.status == "locked":
            status.append(f" (needs {', '.join(row.requires)})", style="muted")
        tasks = f"{row.tasks_passed}/{row.tasks_total}"
        table.add_row(quest, status, tasks, str(row.xp), row.title)
        narrow.add_row(quest, status, f"{tasks} tasks", f"{row.xp} XP")
    return WideOrNarrow(table, NotedRows(narrow, [Text(row.title) for row in rows]))


def start(result: StartResult) -> RenderableType:
    from ugrad_quest.services.start import INSTALLED

    lines = Text()
    verb = "Restarted" if result.already_started else "Started"
    lines.append(f"{verb} quest ", style="title").append(result.title, style="xp")
    lines.append(f" in {shown(result.workspace)}\n")
    for rel in result.created:
        lines.append("  created  ", style="passed").append(f"{rel}\n")
    for rel in result.kept:
        lines.append("  kept     ", style="muted").append(f"{rel} (already there, not touched)\n")
    for module in result.declared:
        lines.append("  added    ", style="passed").append(f"pub mod {module}; to src/lib.rs\n")
    if result.package_source == INSTALLED:
        lines.append(f"  checking the installed package {result.package!r}; nothing was scaffolded\n", style="muted")
    task = result.first_task
    lines.append("\nFirst task: ", style="title").append(f"{task.title} ({task.id}). {task.concept}\n")
    lines.append("\nNext: ", style="title")
    if result.move_to is not None:
        lines.append("cd ", style="title").append(shown(result.move_to), style="title").append(", ")
    lessons = [rel.as_posix() for rel in result.created + result.kept
               if rel.name not in ("__init__.py", "lib.rs", "Cargo.toml")]
    if lessons and result.package_source != INSTALLED:
        lines.append("edit ").append(", ".join(lessons), style="title").append(" (each stub says what to write), ")
    else:
        lines.append("edit your code, ")
    lines.append("then run ").append("quest check", style="title")
    lines.append(" (and ").append("quest hint", style="title").append(" when stuck).")
    return lines


def _task_rows(result: CheckResult) -> NotedRows:
    """One line per task (mark, id, title, outcome), its message under it across the full width: the
    message comes from the learner's code (an exception's text), so control characters are shown escaped."""
    table = row_table()
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True)
    table.add_column(no_wrap=True, overflow="ellipsis")
    table.add_column(no_wrap=True)
    messages: list[Text | None] = []
    for task in result.tasks:
        name = Text(task.id, style="title")
        if not task.required:
            name.append(" (bonus)", style="muted")
        if task.status != "passed":
            outcome = Text(task.status, style=task.status)
            if task.regressed:  # it passed on an earlier check: something since broke it
                outcome.append(" (regressed)", style="muted")
        elif task.xp_awarded:
            outcome = Text(f"+{task.xp_awarded} XP", style="xp")
        else:
            outcome = Text("passed", style="muted")
        table.add_row(Text(MARKS[task.status], style=task.status), name, task.title, outcome)
        # A passing test's message is a note (e.g. a measured speed-up); a failing one's says what is wrong.
        style = "muted" if task.status == "passed" else ""
        messages.append(Text(safe_text.shown(task.message), style=style) if task.message else None)
    return NotedRows(table, messages)


def check(result: CheckResult) -> RenderableType:
    parts: list[RenderableType] = [Text.assemble(("Checked ", "title"), (result.title, "xp"),
                                                 (f"  ({result.duration:.1f} s)", "muted")), _task_rows(result)]
    if result.output_bytes:
        more = result.output_bytes - len(result.output.encode())
        tail = safe_text.shown(result.output.rstrip()[-1500:])  # Text is literal: brackets need no escaping
        note = f"\n… {more} more bytes not shown" if more > 0 else ""
        parts.append(Panel(Text(tail + note, style="muted"), title="your code printed", title_align="left"))
    for problem in result.problems:
        parts.append(Text(f"quest problem (not your code): {safe_text.shown(problem)}", style="error"))
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
        if result.completion_pending:
            summary.append("\nEvery required task has passed, but not all on one check: run ")
            summary.append("quest check", style="title").append(" (all tasks) to complete the quest.")
    else:
        summary.append("Not there yet. ", style="failed")
        regressed = [t.id for t in result.tasks if t.regressed]
        if regressed:
            summary.append(f"{', '.join(regressed)} passed before and {'fails' if len(regressed) == 1 else 'fail'} "
                           "now: a later change broke it. ")
        summary.append("Fix the first failing task, run quest check again, or ask for a quest hint.")
    if result.quest_xp_awarded:
        if result.next_quest:
            summary.append("\nNext quest: ", style="title").append(f"quest start {result.next_quest}", style="title")
        elif result.line_complete:
            summary.append("\nThat was the whole quest line: every quest is complete.", style="passed")
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
    """The verdict, then the statuses and each problem, each wrapping under its own text (a hanging indent)."""
    head = Text.assemble((f"Quest {report.quest_id}: ", "title"),
                         ("sound" if report.ok else f"{len(report.problems)} problem(s)",
                          "passed" if report.ok else "failed"))
    statuses, problems = Table.grid(padding=(0, 1)), Table.grid(padding=(0, 1))
    for grid in (statuses, problems):
        grid.add_column(no_wrap=True)
        grid.add_column()
    for label, by_task in (("starter:", report.starter_statuses), ("reference:", report.reference_statuses)):
        if by_task:
            statuses.add_row(label, ", ".join(f"{t} {s}" for t, s in by_task.items()), style="muted")
    for problem in report.problems:
        problems.add_row("✘", problem, style="failed")
    return Group(head, *(Padding(grid, (0, 0, 0, 2), expand=False) for grid in (statuses, problems)))


def xp_bar(into: int, span: int, width: int) -> Text:
    return trainer_card.xp_bar(into, span, width)


def profile(p: Profile, console: Console) -> RenderableType:
    """The trainer card (render/card.py), laid out for the console's width."""
    return trainer_card.card(p, console)
