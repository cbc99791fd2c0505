"""The one place that reads the wall clock. QUEST_NOW (ISO 8601, local time if naive) pins it for scripted trials."""

from __future__ import annotations

import datetime as dt
import os

from ugrad_quest.errors import QuestError


def now() -> dt.datetime:
    """The current time, timezone-aware, in the learner's local zone (TZ is honoured)."""
    pinned = os.environ.get("QUEST_NOW")
    if pinned:
        try:
            moment = dt.datetime.fromisoformat(pinned)
        except ValueError:
            raise QuestError(f"QUEST_NOW={pinned!r} is not an ISO date and time such as 2026-03-08T23:30:00.") from None
        return moment.astimezone() if moment.tzinfo else moment.astimezone()
    return dt.datetime.now().astimezone()
