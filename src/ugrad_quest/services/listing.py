"""`quest list`: every quest with its status. Reads progress with plain sqlite3 to start fast."""

from __future__ import annotations

from dataclasses import dataclass

from ugrad_quest.services.context import Context
from ugrad_quest.store.quick_reads import read_progress

LOCKED, AVAILABLE, IN_PROGRESS, COMPLETE = "locked", "available", "in progress", "complete"


@dataclass(frozen=True)
class QuestStatus:
    id: str
    title: str
    summary: str
    status: str
    requires: tuple[str, ...]
    tasks_passed: int
    tasks_total: int
    required_passed: int
    required_total: int
    xp: int
    """The quest's completion XP plus every task's XP: what the whole quest is worth."""


def list_quests(ctx: Context) -> list[QuestStatus]:
    progress = read_progress(ctx.db_path)
    rows = []
    for quest in ctx.catalog.quests:
        passed = progress.passed.get(quest.id, set())
        if quest.id in progress.completed:
            status = COMPLETE
        elif quest.id in progress.started:
            status = IN_PROGRESS
        elif all(r in progress.completed for r in quest.requires):
            status = AVAILABLE
        else:
            status = LOCKED
        rows.append(QuestStatus(
            id=quest.id, title=quest.title, summary=quest.summary, status=status, requires=quest.requires,
            tasks_passed=sum(t.id in passed for t in quest.tasks), tasks_total=len(quest.tasks),
            required_passed=sum(t.id in passed for t in quest.required_tasks),
            required_total=len(quest.required_tasks),
            xp=quest.xp + sum(t.xp for t in quest.tasks),
        ))
    return rows
