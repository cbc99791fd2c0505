"""The badge rules' Facts re-derived from a bundle's events, as the store's SQL derives them at award time.

Each field mirrors one query of store/progress.py (named beside it), read over the events that come
before the award instead of the rows that existed then. tests/test_export_verify.py holds the two
against each other on a real history, so the audit cannot drift from what the store awards.
Pure: no store, no catalog; an event of the wrong shape counts for nothing, it never raises.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Iterator

from ugrad_quest.rules import awards as award_rules
from ugrad_quest.rules.badges import Facts
from ugrad_quest.rules.streaks import streak


def _date(text: object) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text)
    except (TypeError, ValueError):
        return None


def event_date(event: dict) -> dt.date | None:
    """The local calendar date an event was recorded on, or None if it has none that reads as one."""
    return _date(event.get("date"))


class FactTally:
    """Facts accumulated one event at a time, oldest first: one pass over the log however many badges ask."""

    def __init__(self) -> None:
        self.passed: set[tuple[str, str]] = set()  # passed_tasks: the tasks checks completed (first passes)
        self.completed: set[str] = set()  # completed_quests: quests with a quest XP award
        self.first_try: set[tuple[str, str]] = set()  # first_try_tasks
        self.hinted: set[str] = set()  # quests_hinted_before_completion
        self.days: set[str] = set()  # xp_by_day: the dates any XP award was recorded on, parsed when asked
        self._included: set[tuple[str, str]] = set()  # tasks some earlier check of their quest ran
        self._hints: set[str] = set()  # quests with a hint revealed so far

    def add(self, event: dict) -> None:
        kind, quest = event.get("type"), event.get("quest")
        if kind == "xp" and isinstance(day := event.get("date"), str):
            self.days.add(day)  # every kind counts for the streak, badges too, as in xp_by_day
        if not isinstance(quest, str):
            return
        if kind == "hint":
            self._hints.add(quest)
        elif kind == "check":
            self._add_check(quest, event)
        elif kind == "xp" and event.get("kind") == award_rules.QUEST:
            self.completed.add(quest)
            # A hint sorts before an award of the same moment, as revealed_at <= awarded_at counts it.
            if quest in self._hints:
                self.hinted.add(quest)

    def _add_check(self, quest: str, event: dict) -> None:
        tasks, completed = event.get("tasks"), event.get("completed")
        ran = [t for t in tasks if isinstance(t, str)] if isinstance(tasks, dict) else []
        done = [t for t in completed if isinstance(t, str)] if isinstance(completed, list) else []
        for task in done:
            # First try: no check of this quest before this one ran the task.
            if (quest, task) not in self._included:
                self.first_try.add((quest, task))
            self.passed.add((quest, task))
        self._included.update((quest, t) for t in [*ran, *done])

    def facts(self, today: dt.date) -> Facts:
        return Facts(passed=frozenset(self.passed), completed=frozenset(self.completed),
                     first_try=frozenset(self.first_try), hinted=frozenset(self.hinted),
                     longest_streak=streak(filter(None, map(_date, self.days)), today).longest)


def facts_from_events(events: Iterable[dict], today: dt.date) -> Facts:
    """The Facts after every one of `events`, with the streak counted up to `today`."""
    tally = FactTally()
    for event in events:
        tally.add(event)
    return tally.facts(today)


def is_badge_award(event: dict) -> bool:
    return event.get("type") == "xp" and event.get("kind") == award_rules.BADGE


def badge_facts(events: Iterable[dict]) -> Iterator[tuple[dict, Facts | None]]:
    """Each badge award with the Facts it was awarded on (None when it has no readable date).

    The store evaluates every rule once and then awards all the badges that hold, so badges
    awarded together (consecutive, same moment, same check) are judged by the facts before the
    first of them: one badge's own XP day does not help its neighbour's streak.
    """
    tally = FactTally()
    batch: tuple | None = None
    facts: Facts | None = None
    for event in events:
        if is_badge_award(event):
            key = (event.get("at"), event.get("check"), event.get("date"))
            if key != batch:
                today = event_date(event)
                batch, facts = key, tally.facts(today) if today else None
            yield event, facts
        else:
            batch = None
        tally.add(event)
