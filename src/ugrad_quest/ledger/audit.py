"""Re-derive every XP award from the events before it and the quest rules: an edited amount, or a
badge the events never earned, shows even when the whole chain was rebuilt around it."""

from __future__ import annotations

from collections import Counter

from ugrad_quest.catalog import Catalog
from ugrad_quest.ledger.chain import Finding, describe
from ugrad_quest.ledger.facts import badge_facts
from ugrad_quest.rules import awards as award_rules
from ugrad_quest.rules.badges import Badge, Facts, all_badges


def audit_xp(events: list[dict], catalog: Catalog) -> list[Finding]:
    findings: list[Finding] = []
    badges = {b.id: b for b in all_badges(catalog)}
    hints: Counter = Counter()
    wrong: Counter = Counter()
    answered_right: set = set()
    completed: set = set()
    awarded: set = set()
    judged = {id(event): facts for event, facts in badge_facts(events)}

    def flag(kind: str, event: dict, why: str, name: str = "") -> None:
        findings.append(Finding(kind, f"event #{event.get('seq')} ({name or describe(event)}) {why}",
                                event.get("seq")))

    for event in events:
        kind, quest_id = event.get("type"), event.get("quest")
        if kind not in _TYPES:
            flag("malformed", event, "is of a type no export writes")
            continue
        if kind in _NAMES_A_QUEST and not all(isinstance(event.get(k, ""), str) for k in _NAMES_A_QUEST[kind]):
            flag("malformed", event, "names its quest or subject in a form no export writes")
            continue
        if kind == "hint":
            hints[(quest_id, event.get("task"))] += 1
        elif kind == "quiz":
            key = (quest_id, event.get("question"))
            if event.get("correct"):
                answered_right.add(key)
            elif key not in answered_right:
                wrong[key] += 1
        elif kind == "check" and isinstance(done := event.get("completed"), list):
            # Completed tasks in another form are verify's finding; here they complete nothing.
            completed.update((quest_id, t) for t in done if isinstance(t, str))
        elif kind == "xp":
            xp, subject, award = event.get("xp"), event.get("subject"), event.get("kind")
            if not isinstance(xp, int):
                flag("malformed", event, "has no whole-number XP")
                continue
            key = (award, quest_id, subject)
            if key in awarded:
                flag("xp", event, "is awarded a second time")
            awarded.add(key)
            expected, why = _expected(catalog, badges, event, hints, wrong, answered_right, completed)
            if why:
                flag("xp", event, why)
            elif expected != xp:
                flag("xp", event, f"claims {xp} XP, but the rules give {expected} after the events before it: "
                                  "its XP or an earlier event was changed")
            if award == award_rules.BADGE and subject in badges:
                if problem := _badge_problem(badges[subject], judged.get(id(event)), catalog):
                    flag(problem[0], event, problem[1], f"badge {badges[subject].name}")
    return findings


def _badge_problem(badge: Badge, facts: Facts | None, catalog: Catalog) -> tuple[str, str] | None:
    """(finding kind, why) when the events before a badge award do not earn it."""
    if facts is None:
        return "malformed", "has no date to count its streak to"
    if lack := unearned(badge, facts, catalog):
        return "badge", f"awards a badge the events before it do not earn: {lack}"
    return None


_TYPES = ("start", "hint", "quiz", "check", "xp")
"""Every type of event an export writes (a list, not a set: a mangled type may be unhashable)."""

# The fields each event type keys its tallies by: anything but text there is no export's doing.
_NAMES_A_QUEST = {"hint": ("quest", "task"), "quiz": ("quest", "question"), "check": ("quest",),
                  "xp": ("quest", "subject", "kind")}


def unearned(badge: Badge, facts: Facts, catalog: Catalog) -> str:
    """What the events lack for the badge's rule to hold, in a verifier's words; '' when it holds."""
    if badge.rule(facts):
        return ""
    streak_days = badge.id.removeprefix("streak-")
    if badge.id == "first-pass":
        return "no check completed any task"
    if badge.id == "first-try":
        return "no task passed on the first check that ran it"
    if badge.id == "no-hints":
        return ("every quest completed had a hint revealed before its completion" if facts.completed
                else "no quest was completed")
    if streak_days.isdigit():
        return f"the longest run of days with XP is {facts.longest_streak}, not {streak_days}"
    if badge.id == "quest-line":
        missing = [q.id for q in catalog.quests if q.id not in facts.completed]
        return f"no quest XP completes {', '.join(missing)}"
    quest = catalog.find(badge.quest_id) if badge.quest_id else None
    if quest is not None and badge.id == f"{quest.id}-complete":
        return f"no quest XP completes {quest.id}"
    task = next((t for t in (*quest.tasks, *quest.retired) if badge.id == f"{quest.id}-{t.id}"), None) \
        if quest else None
    if task is not None:
        return f"no check completed {quest.id}/{task.id}"
    return f"its rule does not hold ({badge.description})"  # a badge kind added without a sentence here


def _expected(catalog, badges, event, hints, wrong, answered_right, completed) -> tuple[int, str]:
    """The XP the rules give for this award, or why it cannot be given at all."""
    award, quest_id, subject = event.get("kind"), event.get("quest"), event.get("subject")
    if award == award_rules.BADGE:
        badge = badges.get(subject)
        return (badge.xp, "") if badge else (0, f"names a badge this version of ugrad-quest does not have ({subject!r})")
    quest = catalog.find(quest_id) if quest_id else None
    if quest is None:
        return 0, f"names a quest this version of ugrad-quest does not have ({quest_id!r})"
    if award == award_rules.TASK:
        task = quest.known_task(subject)
        if task is None:
            return 0, f"names a task {quest_id} does not have ({subject!r})"
        if (quest_id, subject) not in completed:
            return 0, "awards a task that no check before it completed"
        return task.xp - award_rules.hint_cost(task.xp, hints[(quest_id, subject)]), ""
    if award == award_rules.QUEST:
        missing = [t.id for t in quest.required_tasks if (quest_id, t.id) not in completed]
        if missing:
            return 0, f"completes {quest_id} before its tasks {', '.join(missing)} were completed"
        return quest.xp, ""
    if award == award_rules.QUIZ:
        question = quest.question(subject)
        if question is None:
            return 0, f"names a quiz question {quest_id} does not have ({subject!r})"
        if (quest_id, subject) not in answered_right:
            return 0, "awards a quiz question that was never answered right"
        return award_rules.quiz_xp(question, wrong[(quest_id, subject)]), ""
    return 0, f"is an award of an unknown kind ({award!r})"
