"""Writing awards inside a caller's transaction: the rules decide, the store records once.

Shared by `quest check` and `quest quiz`: whatever earns XP then re-evaluates every badge.
"""

from __future__ import annotations

import datetime as dt

from ugrad_quest.catalog import Catalog, Quest, Task
from ugrad_quest.rules import awards as award_rules
from ugrad_quest.rules import reviews
from ugrad_quest.rules.badges import Badge, Facts, all_badges, earned_now
from ugrad_quest.rules.streaks import streak


def award_task(session, quest: Quest, task: Task, attempt_id: int, checks: int,
               moment: dt.datetime, today: dt.date, measured: dict | None = None) -> int:
    """The first-pass award of a task; the XP given (0 if it was given before). ``measured`` is what
    the passing check measured (a speed task's ratio and tier), for the review."""
    from ugrad_quest.store import progress as rows

    hints = rows.hints_revealed(session, quest.id, task.id)
    cost = award_rules.hint_cost(task.xp, hints)
    bugs = reviews.bugs_fixed(rows.failures_before(session, quest.id, task.id, attempt_id),
                              speed=measured is not None)
    review = reviews.task_review(task, checks, hints, cost, bugs, measured)
    xp = task.xp - cost
    return xp if rows.add_award(session, award_rules.TASK, quest.id, task.id, xp, review, moment, today, attempt_id) else 0


def award_completion(session, quest: Quest, passed_now: set[str], ever_passed: set[str], attempt_id: int | None,
                     moment: dt.datetime, today: dt.date) -> int:
    """The quest's XP, once, on a check where every required task passes (`passed_now`)."""
    from ugrad_quest.store import progress as rows

    if not award_rules.quest_complete(quest, passed_now):
        return 0
    started, checks, hints = rows.quest_activity(session, quest.id)
    review = reviews.quest_review(quest, started, moment, checks, hints, ever_passed)
    return quest.xp if rows.add_award(session, award_rules.QUEST, quest.id, "", quest.xp, review,
                                      moment, today, attempt_id) else 0


def facts(session, today: dt.date) -> Facts:
    from ugrad_quest.store import progress as rows

    return Facts(
        passed=frozenset(rows.passed_tasks(session)),
        completed=frozenset(rows.completed_quests(session)),
        first_try=frozenset(rows.first_try_tasks(session)),
        hinted=frozenset(rows.quests_hinted_before_completion(session)),
        longest_streak=streak(rows.xp_by_day(session), today).longest,
    )


def award_badges(session, catalog: Catalog, moment: dt.datetime, today: dt.date,
                 attempt_id: int | None = None) -> list[Badge]:
    """Every badge whose rule now holds and that was not awarded before; safe to call after any award."""
    from ugrad_quest.store import progress as rows

    new = earned_now(all_badges(catalog), facts(session, today), set(rows.earned_badges(session)))
    return [b for b in new
            if rows.add_award(session, award_rules.BADGE, b.quest_id, b.id, b.xp,
                              reviews.badge_review(b.name, b.tier, b.earned_for), moment, today, attempt_id)]
