"""What earns XP: first passes (less what hints cost), quest completion, first correct quiz answers."""

from __future__ import annotations

from dataclasses import dataclass

from ugrad_quest.catalog import Question, Quest

TASK, QUEST, QUIZ, BADGE = "task", "quest", "quiz", "badge"

HINT_SHARE = 0.2
"""Each hint revealed before a task first passes costs this share of the task's XP..."""
MAX_HINT_SHARE = 0.5
"""...but a task always keeps at least half of its XP."""


@dataclass(frozen=True)
class Award:
    kind: str
    quest_id: str
    task_id: str
    xp: int
    review: str


def hint_cost(task_xp: int, hints: int) -> int:
    """XP a task loses for `hints` hints revealed before it first passed."""
    return min(round(task_xp * HINT_SHARE * hints), int(task_xp * MAX_HINT_SHARE))


def next_hint_cost(task_xp: int, revealed: int) -> int:
    """What revealing one more hint would cost."""
    return hint_cost(task_xp, revealed + 1) - hint_cost(task_xp, revealed)


def quiz_xp(question: Question, wrong_before: int) -> int:
    """Full XP for a right first answer, half after a wrong one: guessing through the choices is not mastery."""
    return question.xp if not wrong_before else question.xp // 2


def quest_complete(quest: Quest, passed: set[str]) -> bool:
    return all(t.id in passed for t in quest.required_tasks)
