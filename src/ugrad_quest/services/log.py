"""`quest log`: every award with its XP and review, newest first."""

from __future__ import annotations

from ugrad_quest.services.context import Context
from ugrad_quest.services.profile import LogEntry


def read_log(ctx: Context, limit: int | None = None) -> list[LogEntry]:
    store = ctx.open_store()
    try:
        from ugrad_quest.store import progress as rows

        with store.session() as session:
            return [LogEntry(a.local_date, a.kind, a.quest_id, a.task_id, a.xp, a.review)
                    for a in rows.awards(session, limit)]
    finally:
        store.close()
