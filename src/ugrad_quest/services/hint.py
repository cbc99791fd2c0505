"""`quest hint`: reveal the next hint of a task, recording it.

A hint revealed before the task first passes costs part of the task's XP (rules.awards.hint_cost),
so the learner is told the price and asked first. The question is asked outside any transaction:
a learner thinking it over must not hold the database's write lock.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ugrad_quest.errors import QuestError
from ugrad_quest.rules.awards import hint_cost, next_hint_cost
from ugrad_quest.services.context import Context


@dataclass(frozen=True)
class HintOffer:
    """What revealing the next hint would cost, for the caller to confirm."""

    quest_id: str
    task_id: str
    task_title: str
    number: int
    total: int
    cost: int
    task_xp: int
    spent: int
    """XP the task has already lost to hints."""


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
    earlier: tuple[str, ...] = ()
    """Hints revealed before this one, shown again at no cost."""
    cost: int = 0
    """XP this reveal will cost when the task passes."""
    declined: HintOffer | None = None
    """Set when a paid hint was not confirmed: nothing was revealed."""


Confirm = Callable[[HintOffer], bool]


def next_hint(ctx: Context, task_id: str | None = None, confirm: Confirm = lambda offer: True) -> HintResult:
    ws = ctx.workspace()
    if ws.active_quest is None:
        raise QuestError(f"No quest is started in {ws.root}; run `quest start value` first.")
    quest = ctx.catalog.get(ws.active_quest)
    if task_id is not None and quest.task(task_id) is None:
        known = ", ".join(t.id for t in quest.tasks)
        raise QuestError(f"Quest {quest.id!r} has no task {task_id!r} (tasks: {known}).")
    store = ctx.open_store()
    try:
        from ugrad_quest.store import progress as rows

        with store.session() as session:
            passed = {t for _, t in rows.passed_tasks(session, quest.id)}
            task = quest.task(task_id) if task_id else next((t for t in quest.tasks if t.id not in passed), None)
            task = task.for_lang(ws.lang) if task else None
            shown = rows.hints_revealed(session, quest.id, task.id) if task else 0
        if task is None:
            return HintResult(quest.id, None, "", 0, 0, f"Every task of {quest.title} passes: no hints needed.", False)
        if not task.hints:
            return HintResult(quest.id, task.id, task.title, 0, 0, "This task has no hints.", False)
        if shown >= len(task.hints):  # all revealed: show the last again, free
            return HintResult(quest.id, task.id, task.title, len(task.hints), len(task.hints), task.hints[-1], False,
                              earlier=task.hints[:-1])
        cost = 0 if task.id in passed else next_hint_cost(task.xp, shown)
        if cost:
            offer = HintOffer(quest.id, task.id, task.title, shown + 1, len(task.hints), cost, task.xp,
                              hint_cost(task.xp, shown))
            if not confirm(offer):
                return HintResult(quest.id, task.id, task.title, 0, len(task.hints), "", False,
                                  earlier=task.hints[:shown], declined=offer)
        moment, today = ctx.now()
        with store.session() as session:
            new = rows.reveal_hint(session, quest.id, task.id, shown, moment, today)
        return HintResult(quest.id, task.id, task.title, shown + 1, len(task.hints), task.hints[shown], new,
                          earlier=task.hints[:shown], cost=cost if new else 0)
    finally:
        store.close()
