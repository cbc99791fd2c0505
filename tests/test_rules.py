"""Game rules are pure functions: levels from XP, streaks from local dates, reviews from tasks."""

from __future__ import annotations

import datetime as dt

from conftest import ROOT
from ugrad_quest.catalog import load_quest
from ugrad_quest.rules.awards import quest_award, task_award
from ugrad_quest.rules.levels import level_progress, total_xp_for_level
from ugrad_quest.rules.streaks import streak

D = dt.date


def test_level_curve_is_cubic_and_starts_at_level_1():
    assert level_progress(0).level == 1
    assert [total_xp_for_level(n) for n in (1, 2, 5, 10)] == [0, 7, 124, 999]
    lv = level_progress(124 + 113)
    assert (lv.level, lv.xp_into_level, lv.xp_for_level) == (6, 237 - 215, 342 - 215)


def test_level_boundaries():
    for xp in range(0, 3000, 37):
        lv = level_progress(xp)
        assert total_xp_for_level(lv.level) <= xp < total_xp_for_level(lv.level + 1)
        assert 0 <= lv.xp_into_level < lv.xp_for_level


def test_value_quest_lands_near_level_7():
    value = load_quest(ROOT / "quests" / "value")
    total = value.xp + sum(t.xp for t in value.tasks)
    assert level_progress(total).level == 7


def test_streak_counts_consecutive_dates_and_today_is_not_missed_until_it_ends():
    days = [D(2026, 3, 5), D(2026, 3, 6), D(2026, 3, 7)]
    assert streak(days, D(2026, 3, 7)).current == 3
    assert streak(days, D(2026, 3, 8)).current == 3  # today not over yet
    assert streak(days, D(2026, 3, 9)).current == 0  # yesterday was missed
    assert streak(days, D(2026, 3, 9)).longest == 3


def test_streak_across_dst_uses_calendar_dates():
    # 2026-03-08 is the US spring-forward day: 23 hours long, still one day apart.
    days = [D(2026, 3, 7), D(2026, 3, 8), D(2026, 3, 9)]
    assert streak(days, D(2026, 3, 9)).current == 3


def test_streak_longest_and_active_days():
    days = [D(2026, 1, 1), D(2026, 1, 2), D(2026, 1, 5), D(2026, 1, 5), D(2026, 1, 6)]
    s = streak(days, D(2026, 1, 6))
    assert (s.current, s.longest, s.active_days) == (2, 2, 4)
    assert streak([], D(2026, 1, 6)).current == 0


def test_reviews_say_what_was_shown():
    value = load_quest(ROOT / "quests" / "value")
    task = value.task("backprop")
    first = task_award(value, task, checks=1)
    assert first.xp == task.xp and "passed on the first check" in first.review
    assert "reverse topological" in first.review
    assert "after 3 checks" in task_award(value, task, checks=3).review


def test_quest_award_needs_every_required_task_but_not_bonus_ones():
    value = load_quest(ROOT / "quests" / "value")
    required = {t.id for t in value.required_tasks}
    assert quest_award(value, required - {"relu"}) is None
    award = quest_award(value, required)
    assert award is not None and award.xp == value.xp and "deep-graphs" not in required
