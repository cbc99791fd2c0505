"""Badges: each a rule over facts derived from the event log, so re-evaluating after every award
is safe (the store's unique key on the award makes a second award a no-op).

Quest-specific badges come from quest.yaml (`badge:` on a quest or a task); the rest are here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from ugrad_quest.catalog import Catalog

TIER_XP = {"common": 10, "rare": 25, "ultimate": 50, "legendary": 100}
STREAK_BADGES = ((3, "Warm Gradient", "common"), (7, "Week of Gradients", "rare"), (30, "Unbroken Chain", "ultimate"))


@dataclass(frozen=True)
class Facts:
    """What the badge rules look at; built by the caller from SQL aggregates."""

    passed: frozenset[tuple[str, str]]
    """(quest id, task id) of every task that has passed."""
    completed: frozenset[str]
    """Completed quest ids."""
    first_try: frozenset[tuple[str, str]]
    """Tasks that passed on the first check that included them."""
    hinted: frozenset[str]
    """Completed quests with a hint revealed before their completion."""
    longest_streak: int


@dataclass(frozen=True)
class Badge:
    id: str
    name: str
    tier: str
    description: str
    """How to earn it, as an instruction."""
    quest_id: str
    """The quest it belongs to, '' for badges about the whole game."""
    rule: Callable[[Facts], bool]
    earned_for: str = ""
    """What the learner did, for the log's review ("passed Deep graphs in value")."""
    retired: bool = False
    """The badge of a retired task: it stands where it was earned, and is no longer offered."""

    @property
    def xp(self) -> int:
        return TIER_XP[self.tier]


def all_badges(catalog: Catalog) -> list[Badge]:
    """Every badge, in the order `quest badges` lists them."""
    badges = [
        Badge("first-pass", "First Spark", "common", "Pass your first task.", "", lambda f: bool(f.passed),
              "passed a first task"),
        Badge("first-try", "Clean Shot", "rare", "Pass a task on the first check that includes it.", "",
              lambda f: bool(f.first_try), "passed a task on the first check that included it"),
        Badge("no-hints", "Unassisted", "rare", "Complete a quest without revealing any of its hints.", "",
              lambda f: bool(f.completed - f.hinted), "completed a quest without revealing any of its hints"),
    ]
    for days, name, tier in STREAK_BADGES:
        badges.append(Badge(f"streak-{days}", name, tier, f"Earn XP on {days} days in a row.", "",
                            lambda f, days=days: f.longest_streak >= days, f"earned XP on {days} days in a row"))
    for quest in catalog.quests:
        for task in (*quest.tasks, *quest.retired):
            if task.badge:
                key = (quest.id, task.id)
                badges.append(Badge(f"{quest.id}-{task.id}", task.badge.name, task.badge.tier,
                                    f"Pass {task.title} ({task.id}) in {quest.id}.", quest.id,
                                    lambda f, key=key: key in f.passed, f"passed {task.title} in {quest.id}",
                                    retired=task in quest.retired))
        if quest.badge:
            badges.append(Badge(f"{quest.id}-complete", quest.badge.name, quest.badge.tier,
                                f"Complete the {quest.id} quest ({quest.title}).", quest.id,
                                lambda f, q=quest.id: q in f.completed, f"completed {quest.title}"))
    every = frozenset(q.id for q in catalog.quests)
    badges.append(Badge("quest-line", "Grandmaster of Gradients", "legendary",
                        f"Complete the whole quest line: {', '.join(q.id for q in catalog.quests)}.", "",
                        lambda f: every <= f.completed, "completed the whole quest line"))
    return badges


def earned_now(badges: list[Badge], facts: Facts, already: set[str]) -> list[Badge]:
    """Badges whose rule holds and that were not awarded before."""
    return [b for b in badges if b.id not in already and b.rule(facts)]
