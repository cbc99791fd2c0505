"""Re-derive every XP award from the events before it and the quest rules: an edited amount shows
even when the whole chain was rebuilt around it."""

from __future__ import annotations

from collections import Counter

from ugrad_quest.catalog import Catalog
from ugrad_quest.ledger.chain import Finding, describe
from ugrad_quest.rules import awards as award_rules
from ugrad_quest.rules.badges import all_badges


def audit_xp(events: list[dict], catalog: Catalog) -> list[Finding]:
    findings: list[Finding] = []
    badges = {b.id: b for b in all_badges(catalog)}
    hints: Counter = Counter()
    wrong: Counter = Counter()
    answered_right: set = set()
    completed: set = set()
    awarded: set = set()

    def flag(kind: str, event: dict, why: str) -> None:
        findings.append(Finding(kind, f"event #{event.get('seq')} ({describe(event)}) {why}", event.get("seq")))

    for event in events:
        kind, quest_id = event.get("type"), event.get("quest")
        if kind == "hint":
            hints[(quest_id, event.get("task"))] += 1
        elif kind == "quiz":
            key = (quest_id, event.get("question"))
            if event.get("correct"):
                answered_right.add(key)
            elif key not in answered_right:
                wrong[key] += 1
        elif kind == "check":
            completed.update((quest_id, t) for t in event.get("completed") or [])
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
    return findings


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
        task = quest.task(subject)
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
