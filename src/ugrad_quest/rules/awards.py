"""What a check earns: XP for first passes and for completing a quest, with a short review of each."""

from __future__ import annotations

from dataclasses import dataclass

from ugrad_quest.catalog import Quest, Task

TASK, QUEST = "task", "quest"


@dataclass(frozen=True)
class Award:
    kind: str
    quest_id: str
    task_id: str
    xp: int
    review: str


def _sentence(text: str) -> str:
    text = " ".join(text.split())
    return text[0].lower() + text[1:] if text else text


def task_review(task: Task, checks: int) -> str:
    when = "on the first check" if checks <= 1 else f"after {checks} checks"
    return f"{task.title}, passed {when}: showed that {_sentence(task.concept)}"


def quest_review(quest: Quest) -> str:
    bonus = [t.title for t in quest.tasks if not t.required]
    extra = f" (bonus: {', '.join(bonus)})" if bonus else ""
    return f"Completed {quest.title}: every required task passes{extra}. {quest.summary}"


def task_award(quest: Quest, task: Task, checks: int) -> Award:
    return Award(TASK, quest.id, task.id, task.xp, task_review(task, checks))


def quest_award(quest: Quest, passed: set[str]) -> Award | None:
    """The completion award, once every required task has passed (in this check or earlier ones)."""
    if all(t.id in passed for t in quest.required_tasks):
        return Award(QUEST, quest.id, "", quest.xp, quest_review(quest))
    return None
