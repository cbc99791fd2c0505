"""`quest export FILE`: the event log, hash-chained, with the source every task-completing check ran on."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from pathlib import Path

import ugrad_quest
from ugrad_quest.errors import QuestError
from ugrad_quest.ledger import bundle as bundle_fmt
from ugrad_quest.ledger import chain, snapshot
from ugrad_quest.rules.levels import level_progress
from ugrad_quest.services.context import Context
from ugrad_quest.services.output_file import write_output

# Events at the same moment keep the order they happened in: a check before the awards it gave.
_ORDER = {"start": 0, "hint": 1, "quiz": 2, "check": 3, "xp": 4}


@dataclass(frozen=True)
class ExportResult:
    path: Path
    events: int
    claims: int
    """Task completions the bundle lets a verifier re-run."""
    xp: int
    head: str
    size: int


def _stamp(moment: dt.datetime) -> str:
    return moment.isoformat(timespec="microseconds")


def _pinned(row) -> dict:
    """`"pinned": true` for a row whose moment came from QUEST_NOW; nothing otherwise, so a bundle
    without such rows keeps the exact shape it had before the column existed."""
    return {"pinned": True} if row.clock_pinned else {}


def _skipped(row) -> dict:
    """Why a check that completed tasks kept no snapshot, when it recorded why (older checks did not)."""
    return {"snapshot_skipped": row.snapshot_skipped} if row.snapshot_skipped else {}


def collect_events(session) -> tuple[list[dict], set[str]]:
    """Every stored event as bundle events, oldest first, and the snapshot digests they name."""
    from ugrad_quest.store import history

    # (moment, order among same-moment events, row id, event, the check it belongs to)
    rows: list[tuple[dt.datetime, int, int, dict, int | None]] = []
    for s in history.starts(session):
        rows.append((s.started_at, _ORDER["start"], s.id, {
            "type": "start", "quest": s.quest_id, "at": _stamp(s.started_at), "date": s.local_date.isoformat(),
            **_pinned(s)}, None))
    tasks, passes = history.attempt_tasks(session), history.first_passes(session)
    for a in history.attempts(session):
        rows.append((a.started_at, _ORDER["check"], a.id, {
            "type": "check", "quest": a.quest_id, "at": _stamp(a.started_at), "date": a.local_date.isoformat(),
            "package": a.package, "passed": a.passed,
            "tasks": {t.task_id: t.status for t in tasks.get(a.id, [])},
            "completed": passes.get(a.id, []), "snapshot": a.snapshot, **_skipped(a), **_pinned(a)}, a.id))
    for h in history.hints(session):
        rows.append((h.revealed_at, _ORDER["hint"], h.id, {
            "type": "hint", "quest": h.quest_id, "task": h.task_id, "hint": h.hint_index,
            "at": _stamp(h.revealed_at), "date": h.local_date.isoformat(), **_pinned(h)}, None))
    for q in history.quiz_answers(session):
        rows.append((q.answered_at, _ORDER["quiz"], q.id, {
            "type": "quiz", "quest": q.quest_id, "question": q.question_id, "answer": q.answer,
            "correct": q.correct, "at": _stamp(q.answered_at), "date": q.local_date.isoformat(),
            **_pinned(q)}, None))
    for x in history.xp_awards(session):
        rows.append((x.awarded_at, _ORDER["xp"], x.id, {
            "type": "xp", "kind": x.kind, "quest": x.quest_id, "subject": x.task_id, "xp": x.xp,
            "review": x.review, "at": _stamp(x.awarded_at), "date": x.local_date.isoformat(),
            **_pinned(x)}, x.attempt_id))
    rows.sort(key=lambda r: r[:3])
    # Store row ids mean nothing outside this database: a check is named by its place in the log.
    seq_of_check = {r[2]: seq for seq, r in enumerate(rows, start=1) if r[3]["type"] == "check"}
    for _, _, _, event, attempt in rows:
        if event["type"] == "xp":
            event["check"] = seq_of_check.get(attempt)
    events = [r[3] for r in rows]
    return events, {e["snapshot"] for e in events if e.get("snapshot")}


def export_bundle(ctx: Context, path: Path) -> ExportResult:
    from ugrad_quest.services.profile import NAME_KEY, default_trainer_name
    from ugrad_quest.store import history
    from ugrad_quest.store import progress as rows

    moment, _ = ctx.now()
    store = ctx.open_store()
    try:
        with store.session() as session:  # one read transaction: a check running meanwhile is all in or all out
            events, digests = collect_events(session)
            stored = history.snapshots(session, digests)
            name = rows.get_setting(session, NAME_KEY)
    finally:
        store.close()
    if not events:
        raise QuestError("There is nothing to export yet: no progress is recorded (start with `quest start value`).")

    records = chain.build(events)
    xp = sum(e["xp"] for e in events if e["type"] == "xp")
    started = {e["quest"] for e in events if e["type"] in ("start", "check")}
    data = {
        "format": bundle_fmt.FORMAT, "format_version": bundle_fmt.FORMAT_VERSION,
        "tool": {"name": "ugrad-quest", "version": ugrad_quest.__version__},
        "exported_at": _stamp(moment), "trainer": name or default_trainer_name(),
        "summary": {"xp": xp, "level": level_progress(xp).level,
                    "tasks_completed": sum(len(e["completed"]) for e in events if e["type"] == "check"),
                    "quests_completed": [e["quest"] for e in events if e["type"] == "xp" and e["kind"] == "quest"]},
        "suites": {q: bundle_fmt.suite_digest(ctx.catalog.get(q))
                   for q in sorted(started) if ctx.catalog.find(q) is not None},
        "head": records[-1]["hash"], "count": len(records),
        "events": records,
        "snapshots": {d: snapshot.decode(stored[d]) for d in sorted(stored)},
    }
    text = bundle_fmt.dumps(data)
    size = write_output(path, text.encode("utf-8"), owned=_is_bundle, what="bundle", example="bundle.json")
    return ExportResult(path=path, events=len(records),
                        claims=sum(len(e["completed"]) for e in events if e["type"] == "check" and e["snapshot"]),
                        xp=xp, head=records[-1]["hash"], size=size)


def _is_bundle(head: bytes) -> bool:
    return b'"format": "ugrad-quest-bundle"' in head
