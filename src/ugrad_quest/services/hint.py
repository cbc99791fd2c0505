"""`quest hint`: reveal the next hint of a task, recording it."""

from __future__ import annotations

from dataclasses import dataclass

from ugrad_quest import workspace as ws_mod
from ugrad_quest.errors import QuestError
from ugrad_quest.services.context import Context


@dataclass(frozen=True)
class HintResult:
    quest_id: str
    task_id: str | None
    task_title: str
    number: int
    """1-based number of the hint shown; 0 when there is nothing to show."""
    total: int
    text: str
    newly_revealed: bool


def next_hint(ctx: Context, task_id: str | None = None) -> HintResult:
    ws = ws_mod.require(ctx.cwd)
    if ws.active_quest is None:
        raise QuestError(f"No quest is started in {ws.root}; run `quest start value` first.")
    quest = ctx.catalog.get(ws.active_quest)
    store = ctx.open_store()
    try:
        from ugrad_quest.store import progress as rows

        with store.session() as session:
            if task_id is not None:
                task = quest.task(task_id)
                if task is None:
                    known = ", ".join(t.id for t in quest.tasks)
                    raise QuestError(f"Quest {quest.id!r} has no task {task_id!r} (tasks: {known}).")
            else:
                passed = {t for _, t in rows.passed_tasks(session, quest.id)}
                task = next((t for t in quest.tasks if t.id not in passed), None)
                if task is None:
                    return HintResult(quest.id, None, "", 0, 0, f"Every task of {quest.title} passes: no hints needed.", False)
            if not task.hints:
                return HintResult(quest.id, task.id, task.title, 0, 0, "This task has no hints.", False)
            shown = rows.hints_revealed(session, quest.id, task.id)
            index = min(shown, len(task.hints) - 1)
            moment, today = ctx.now()
            new = shown < len(task.hints) and rows.reveal_hint(session, quest.id, task.id, index, moment, today)
            return HintResult(quest.id, task.id, task.title, index + 1, len(task.hints), task.hints[index], bool(new))
    finally:
        store.close()
