"""Game rules are pure functions: levels from XP, streaks from local dates, reviews from tasks."""

from __future__ import annotations

import datetime as dt

from conftest import ROOT
from ugrad_quest.catalog import load_quest
from ugrad_quest.catalog import load_catalog
from ugrad_quest.rules import reviews
from ugrad_quest.rules.awards import hint_cost, next_hint_cost, quest_complete, quiz_xp
from ugrad_quest.rules.badges import Facts, all_badges, earned_now
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


def _run(start: dt.date, n: int) -> list[dt.date]:
    return [start + dt.timedelta(days=i) for i in range(n)]


def test_a_freeze_is_earned_every_7_days_and_covers_a_missed_day():
    days = _run(D(2026, 1, 1), 7)  # Jan 1-7: one freeze earned on the 7th day
    assert streak(days, D(2026, 1, 7)).freezes_held == 1
    later = streak(days + [D(2026, 1, 9)], D(2026, 1, 9))  # Jan 8 skipped
    assert later.frozen == {D(2026, 1, 8)} and not later.missed
    assert (later.current, later.freezes_held) == (8, 0)  # a frozen day keeps the streak but adds nothing


def test_without_a_freeze_the_missed_day_breaks_the_streak_and_is_marked():
    days = _run(D(2026, 1, 1), 7) + [D(2026, 1, 11)]  # 8 covered by the freeze, 9 missed, 10 just empty
    s = streak(days, D(2026, 1, 11))
    assert s.frozen == {D(2026, 1, 8)} and s.missed == {D(2026, 1, 9)}
    assert (s.current, s.longest) == (1, 7)


def test_at_most_two_freezes_are_held():
    s = streak(_run(D(2026, 1, 1), 28), D(2026, 1, 28))  # 4 weeks: 4 earned, 2 kept
    assert s.freezes_held == 2
    gap = streak(_run(D(2026, 1, 1), 28) + [D(2026, 2, 1)], D(2026, 2, 1))  # Jan 29-31 empty
    assert gap.frozen == {D(2026, 1, 29), D(2026, 1, 30)} and gap.missed == {D(2026, 1, 31)}
    assert gap.current == 1


def test_today_uses_no_freeze_until_it_is_over():
    days = _run(D(2026, 1, 1), 7)
    s = streak(days, D(2026, 1, 8))
    assert (s.current, s.freezes_held, s.frozen, s.missed) == (7, 1, frozenset(), frozenset())


def test_a_freeze_earned_late_covers_only_later_days():
    days = _run(D(2026, 1, 1), 3) + _run(D(2026, 1, 5), 7)  # Jan 4 breaks a 3-day run: no freeze yet
    s = streak(days, D(2026, 1, 11))
    assert s.missed == {D(2026, 1, 4)} and (s.current, s.longest, s.freezes_held) == (7, 7, 1)


def test_hints_cost_a_fifth_of_the_task_each_but_never_more_than_half():
    assert [hint_cost(100, n) for n in range(5)] == [0, 20, 40, 50, 50]
    assert [next_hint_cost(100, n) for n in range(4)] == [20, 20, 10, 0]
    assert hint_cost(5, 1) == 1 and hint_cost(5, 3) == 2


def test_a_quiz_answer_after_a_wrong_one_earns_half():
    value = load_quest(ROOT / "quests" / "value")
    q = value.quiz[0]
    assert quiz_xp(q, 0) == q.xp and quiz_xp(q, 2) == q.xp // 2


def _facts(**kw) -> Facts:
    base = dict(passed=frozenset(), completed=frozenset(), first_try=frozenset(), hinted=frozenset(), longest_streak=0)
    return Facts(**{**base, **kw})


def test_badges_follow_their_rules_and_are_never_awarded_twice():
    catalog = load_catalog(ROOT / "quests")
    badges = all_badges(catalog)
    ids = [b.id for b in badges]
    assert len(ids) == len(set(ids))
    assert {b.tier for b in badges} == {"common", "rare", "ultimate", "legendary"}
    assert {"first-pass", "first-try", "no-hints", "streak-3", "streak-7", "streak-30", "value-complete",
            "mlp-complete", "optimize-complete", "value-deep-graphs", "optimize-speedup-2x", "optimize-speedup-5x",
            "optimize-speedup-20x", "optimize-speedup-60x", "quest-line"} <= set(ids)
    # Retired tiers keep their badges where they were earned (and verify can audit them).
    assert {b.id for b in badges if b.retired} == {"optimize-speedup-10x", "optimize-speedup-25x"}

    def earned(facts, already=()):
        return {b.id for b in earned_now(badges, facts, set(already))}

    assert earned(_facts()) == set()
    assert earned(_facts(passed=frozenset({("value", "add-mul")}))) == {"first-pass"}
    assert earned(_facts(passed=frozenset({("value", "add-mul")})), {"first-pass"}) == set()
    deep = _facts(passed=frozenset({("value", "deep-graphs")}), first_try=frozenset({("value", "deep-graphs")}))
    assert earned(deep) == {"first-pass", "first-try", "value-deep-graphs"}
    hinted = _facts(completed=frozenset({"value"}), hinted=frozenset({"value"}))
    assert earned(hinted) == {"value-complete"}
    assert "no-hints" in earned(_facts(completed=frozenset({"value", "mlp"}), hinted=frozenset({"value"})))
    assert earned(_facts(longest_streak=7)) == {"streak-3", "streak-7"}
    everything = _facts(completed=frozenset(q.id for q in catalog.quests), hinted=frozenset(q.id for q in catalog.quests))
    assert "quest-line" in earned(everything)
    assert "quest-line" not in earned(_facts(completed=frozenset({"value", "mlp"})))


def test_the_whole_line_with_badges_and_quizzes_lands_between_level_10_and_15():
    catalog = load_catalog(ROOT / "quests")
    tasks = sum(q.xp + sum(t.xp for t in q.tasks) for q in catalog.quests)
    badges = sum(b.xp for b in all_badges(catalog))
    quizzes = sum(question.xp for q in catalog.quests for question in q.quiz)
    assert 10 <= level_progress(tasks).level <= 15
    assert 10 <= level_progress(tasks + badges + quizzes).level <= 15


def test_task_review_names_concept_checks_hints_and_the_bugs_fixed():
    value = load_quest(ROOT / "quests" / "value")
    task = value.task("backprop")
    first = reviews.task_review(task, checks=1, hints=0, hint_cost=0, bugs=[])
    assert first.startswith("Backpropagation, passed on the first check. Shows that backward() visits")
    assert "Caught" not in first and "hint" not in first
    bugs = reviews.bugs_fixed([
        "NotImplementedError: Value.backward is not written yet (ugrad/engine.py, line 9)",
        "a + a gave a.grad = 1, expected 2: gradients must accumulate (+=), not overwrite",
        "a + a gave a.grad = 1, expected 2: gradients must accumulate (+=), not overwrite",
        "timeout: stopped after 15 s while in backward() (ugrad/engine.py, line 40)",
        "x" * 300,
    ])
    assert len(bugs) == 3 and bugs[0] == "gradients overwritten instead of accumulated"
    assert len(bugs[2]) <= reviews.BUG_LENGTH
    later = reviews.task_review(task, checks=4, hints=2, hint_cost=40, bugs=bugs)
    assert "passed on check 4 with 2 hints, -40 XP." in later
    assert ("Caught and fixed on the way: gradients overwritten instead of accumulated; code that did not finish "
            "in its time budget (and 1 more).") in later


def test_quest_review_says_how_long_it_took_and_what_was_shown():
    value = load_quest(ROOT / "quests" / "value")
    start = dt.datetime(2026, 3, 7, 22, 0, tzinfo=dt.timezone.utc)
    text = reviews.quest_review(value, start, start + dt.timedelta(days=1, hours=3, minutes=5), checks=9, hints=1,
                                passed={t.id for t in value.tasks})
    assert text.startswith("Completed The Value engine in 1 day 3 h from start, over 9 checks and 1 hint.")
    assert "Backpropagation" in text and "bonus: Deep graphs" in text
    assert reviews.duration(start, start + dt.timedelta(seconds=20)) == "under a minute"
    assert reviews.duration(start, start + dt.timedelta(minutes=125)) == "2 h 5 min"


def test_quest_complete_needs_every_required_task_but_not_bonus_ones():
    value = load_quest(ROOT / "quests" / "value")
    required = {t.id for t in value.required_tasks}
    assert not quest_complete(value, required - {"relu"})
    assert quest_complete(value, required) and "deep-graphs" not in required


def test_badge_reviews_say_what_the_learner_did():
    catalog = load_catalog(ROOT / "quests")
    deep = next(b for b in all_badges(catalog) if b.id == "value-deep-graphs")
    assert reviews.badge_review(deep.name, deep.tier, deep.earned_for) == "Rare badge Deep Diver: passed Deep graphs in value."
    assert all(b.earned_for and b.description.endswith(".") for b in all_badges(catalog))


# --- reviews of what was measured, and bugs named once by kind (issue 11) ----------------------------------

SPEED_FAILURES = [
    "NotImplementedError: train_step is not written yet (ugrad/train.py, line 12)",
    "baseline 812 ms/step, yours 262 ms/step: 3.10x (wide_100 3.21x, demo 2.99x) over 9 rounds; 5x needs "
    "<= 162 ms/step: your step must get 1.61x faster",
    "20x needs <= 32.5 ms/step: your step must get 2.50x faster",
    "stopped after 2 s of CPU time while in train_step() (ugrad/train.py, line 40): the code did not finish in time",
    "not timed: speed counts once train_step computes the baseline's step (task still-correct)",
    "your train_step on wide_100 did not finish a warm-up step and the timed steps in the CPU time left for "
    "measuring: it is far slower than the baseline",
    "the speed measurement did not finish (see task speedup-2x)",
    "timing your train_step on demo failed: TypeError: 'NoneType' object is not iterable (ugrad/train.py, line 9)",
]


def test_a_speed_review_gives_the_measured_ratios_and_claims_no_technique():
    task = load_quest(ROOT / "quests" / "optimize").task("speedup-60x")
    measured = {"ratio": 64.4312, "tier": 60, "workloads": {"wide_100": 48.104, "demo": 64.4312}, "on": "demo"}
    text = reviews.task_review(task, checks=6, hints=0, hint_cost=0, bugs=[], measured=measured)
    assert text == ("Sixty times as fast on the demo net, passed on check 6. Your train_step measured 64.4x the "
                    "baseline's speed on demo (CPU time per step; wide_100 48.1x, demo 64.4x), where the tier needs "
                    "60x on demo.")
    # The concept says how the tier is usually reached (a reused graph): a pass shows only the ratio.
    assert "Shows that" not in text and "graph" not in text
    older = reviews.task_review(task, checks=1, hints=1, hint_cost=12, bugs=[], measured={"ratio": 4.2, "tier": 2})
    assert older == ("Sixty times as fast on the demo net, passed on the first check with 1 hint, -12 XP. Your "
                     "train_step measured 4.20x the baseline's speed (CPU time per step), where the tier needs 2x.")


def test_every_speed_badge_says_what_was_passed_not_how():
    catalog = load_catalog(ROOT / "quests")
    speed = [b for b in all_badges(catalog) if b.id.startswith("optimize-speedup")]
    assert [reviews.badge_review(b.name, b.tier, b.earned_for) for b in speed] == [
        "Common badge Quick Step: passed Twice as fast in optimize.",
        "Rare badge Fast Forward: passed Five times as fast in optimize.",
        "Ultimate badge Overdrive: passed Twenty times as fast in optimize.",
        "Legendary badge Light Speed: passed Sixty times as fast on the demo net in optimize.",
        "Ultimate badge Order of Magnitude: passed Ten times as fast in optimize.",
        "Legendary badge Warp Drive: passed Twenty-five times as fast in optimize.",
    ]


def test_speed_shortfalls_timeouts_and_stubs_are_not_bugs_fixed():
    assert reviews.bugs_fixed(SPEED_FAILURES, speed=True) == [
        "timing your train_step on demo failed: TypeError: 'NoneType' object is not iterable (ugrad/train.py, line 9)"]
    task = load_quest(ROOT / "quests" / "optimize").task("speedup-5x")
    text = reviews.task_review(task, 9, 0, 0, reviews.bugs_fixed(SPEED_FAILURES, speed=True), {"ratio": 5.3, "tier": 5})
    assert "3.10x" not in text and "needs <=" not in text and "stopped after" not in text
    assert text.endswith("Caught and fixed on the way: “timing your train_step on demo failed: TypeError: 'NoneType' "
                         "object is not iterable (ugrad/train.py, line 9)”.")
    # Outside a speed task a timeout is a bug (an endless loop in backward(), say); a stub never is.
    assert reviews.bugs_fixed(SPEED_FAILURES[:1] + SPEED_FAILURES[3:4]) == ["code that did not finish in its time budget"]


def test_the_same_bug_on_other_numbers_is_named_once_by_kind():
    failures = [
        "backward() hit Python's recursion limit on a chain of 10,000 nodes (x = x * 1.00003; x = x + 1, repeated): "
        "build the topological order with an explicit stack (a loop), not recursion",
        "backward() changed the recursion limit from 1000 to 2000: do not call sys.setrecursionlimit, build the "
        "topological order with an explicit stack (a loop) instead",
        "backward() changed the recursion limit from 1000 to 5000: do not call sys.setrecursionlimit, build the "
        "topological order with an explicit stack (a loop) instead",
        "backward() hit Python's recursion limit on a chain of 10,000 nodes (x = x * 0.99991; x = x + 1, repeated): "
        "build the topological order with an explicit stack (a loop), not recursion",
        "a = Value(1.66); c = a ** 2 raised ZeroDivisionError: float division by zero (ugrad/engine.py, line 77)",
        "a = Value(-0.5); c = a ** 3 raised ZeroDivisionError: float division by zero (ugrad/engine.py, line 79)",
        "a = Value(2.2); c = a + a; a.grad = 1, expected 2: gradients must accumulate (+=), not overwrite (=)",
        "a + a gave a.grad = 1, expected 2: gradients must accumulate (+=), not overwrite (=)",
    ]
    assert reviews.bugs_fixed(failures) == [
        "recursion too deep on a long chain",
        "the recursion limit raised instead of a loop",
        # No known diagnosis: the first message of its kind (the same text but for its numbers).
        "a = Value(1.66); c = a ** 2 raised ZeroDivisionError: float division by zero (ugrad/engine.py, line 77)",
        "gradients overwritten instead of accumulated",
    ]
    assert reviews.bug_kind(failures[4]) == reviews.bug_kind(failures[5])
    task = load_quest(ROOT / "quests" / "value").task("deep-graphs")
    text = reviews.task_review(task, 5, 0, 0, reviews.bugs_fixed(failures[:4]))
    assert text.endswith("Caught and fixed on the way: recursion too deep on a long chain; the recursion limit raised "
                         "instead of a loop.")
