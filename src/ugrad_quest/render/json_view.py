"""The JSON shapes of DESIGN.md's CLI contract. Scripts rely on these keys."""

from __future__ import annotations

import json
from dataclasses import asdict

from ugrad_quest import json_text
from ugrad_quest.services.check import CheckResult
from ugrad_quest.services.listing import QuestStatus
from ugrad_quest.services.profile import Profile


def dumps(data) -> str:
    # Escaped: text from learner code or a stranger's bundle may hold lone surrogates (no stream can
    # encode them) or C1 controls (a terminal would obey them).
    return json_text.escaped(json.dumps(data, indent=2, ensure_ascii=False))


def check(result: CheckResult) -> dict:
    return {
        "quest": result.quest_id,
        "passed": result.passed,
        "tasks": [{"id": t.id, "title": t.title, "status": t.status, "required": t.required, "message": t.message,
                   "xp_awarded": t.xp_awarded, "regressed": t.regressed} for t in result.tasks],
        "xp_awarded": result.xp_awarded,
        "badges_awarded": result.badges_awarded,
        "complete": result.complete,
        "next_quest": result.next_quest,
        "notes": result.notes,
    }


def profile(p: Profile) -> dict:
    return {
        "trainer": p.trainer, "title": p.title, "level": p.level, "xp": p.xp, "xp_into_level": p.xp_into_level,
        "xp_for_level": p.xp_for_level, "streak": p.streak, "longest_streak": p.longest_streak,
        "active_days": p.active_days, "freezes_held": p.freezes_held,
        "tasks_completed": p.tasks_completed, "tasks_total": p.tasks_total,
        "quests_completed": p.quests_completed, "quests_total": p.quests_total,
        "badges": [b.id for b in p.badges], "badges_total": p.badges_total,
        "quizzes": p.quizzes, "quizzes_total": p.quizzes_total,
        "heatmap": {d.isoformat(): xp for d, xp in sorted(p.heatmap.xp_by_day.items())},
        "missed_days": sorted(d.isoformat() for d in p.heatmap.missed),
        "frozen_days": sorted(d.isoformat() for d in p.heatmap.frozen),
        "log": [log_entry(e) for e in p.log],
    }


def log_entry(e) -> dict:
    return {"date": e.date.isoformat(), "kind": e.kind, "quest": e.quest_id, "subject": e.subject, "xp": e.xp,
            "review": e.review}


def badges(views) -> list[dict]:
    return [{"id": b.id, "name": b.name, "tier": b.tier, "description": b.description, "xp": b.xp,
             "earned_on": b.earned_on.isoformat() if b.earned_on else None} for b in views]


def quest_list(rows: list[QuestStatus]) -> list[dict]:
    return [{**asdict(r), "requires": list(r.requires)} for r in rows]


def quiz_answer(r) -> dict:
    return {"quest": r.quest_id, "question": r.question.id, "answer": r.given, "correct": r.correct,
            "xp_awarded": r.xp_awarded, "badges_awarded": [name for name, _, _ in r.badges],
            # The right answer is given only to a right reply, as in the text view.
            "expected": r.expected if r.correct else None}


def quiz_state(state) -> dict:
    return {"quest": state.quest_id, "questions": [
        {"id": s.question.id, "question": s.question.prompt, "choices": list(s.question.choices),
         "numeric": s.question.numeric, "xp": s.question.xp, "solved": s.solved, "wrong_answers": s.wrong}
        for s in state.questions]}


def verification(v) -> dict:
    return {
        "bundle": str(v.path), "verified": v.ok, "trainer": v.trainer, "exported_at": v.exported_at,
        "tool_version": v.tool_version, "events": v.events, "head": v.head, "xp": v.xp,
        "claims": [{"quest": c.quest_id, "task": c.task_id, "check": c.check, "date": c.date,
                    "status": c.status, "detail": c.detail} for c in v.claims],
        "findings": [{"kind": f.kind, "event": f.seq, "message": f.message} for f in v.findings],
        "notes": v.notes,
    }
