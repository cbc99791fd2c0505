"""The JSON shapes of DESIGN.md's CLI contract. Scripts rely on these keys."""

from __future__ import annotations

import json
from dataclasses import asdict

from ugrad_quest.services.check import CheckResult
from ugrad_quest.services.listing import QuestStatus
from ugrad_quest.services.profile import Profile


def dumps(data) -> str:
    return json.dumps(data, indent=2, ensure_ascii=False)


def check(result: CheckResult) -> dict:
    return {
        "quest": result.quest_id,
        "passed": result.passed,
        "tasks": [{"id": t.id, "title": t.title, "status": t.status, "required": t.required, "message": t.message,
                   "xp_awarded": t.xp_awarded} for t in result.tasks],
        "xp_awarded": result.xp_awarded,
        "badges_awarded": result.badges_awarded,
    }


def profile(p: Profile) -> dict:
    return {
        "trainer": p.trainer, "level": p.level, "xp": p.xp, "xp_into_level": p.xp_into_level,
        "xp_for_level": p.xp_for_level, "streak": p.streak, "longest_streak": p.longest_streak,
        "active_days": p.active_days, "tasks_completed": p.tasks_completed,
        "quests_completed": p.quests_completed, "badges": p.badges, "quizzes": p.quizzes,
    }


def quest_list(rows: list[QuestStatus]) -> list[dict]:
    return [{**asdict(r), "requires": list(r.requires)} for r in rows]
