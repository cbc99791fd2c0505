"""The one place that reads the wall clock and the learner's time zone.

QUEST_NOW (ISO 8601; local time if it has no offset) pins the moment and TZ picks the zone, both
read on every call, so one scripted command can be given its own clock and zone:
`QUEST_NOW=2026-03-08T23:30:00 TZ=America/New_York quest check`.
"""

from __future__ import annotations

import datetime as dt
import os
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from ugrad_quest.errors import QuestError


def zone() -> dt.tzinfo | None:
    """The zone named by TZ, or None for the system's own local zone.

    Read here rather than left to the C library, which reads TZ once per process.
    """
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        return None
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None  # a POSIX rule such as EST5EDT4 the zone database lacks: the C library still knows it


def _pinned_moment() -> dt.datetime | None:
    """The moment QUEST_NOW names, None when it is not set; QuestError when it names none."""
    pinned = os.environ.get("QUEST_NOW")
    if not pinned:
        return None
    try:
        return dt.datetime.fromisoformat(pinned)
    except ValueError:
        raise QuestError(f"QUEST_NOW={pinned!r} is not an ISO date and time such as 2026-03-08T23:30:00.") from None


def pinned() -> bool:
    """Whether now() gives a moment set by hand (QUEST_NOW set and valid), not the wall clock's.

    Every event row records it, so a bundle can say which of its dates were set by hand.
    """
    try:
        return _pinned_moment() is not None
    except QuestError:
        return False  # now() refuses it, so no moment is ever taken from it


def now() -> dt.datetime:
    """The current time, timezone-aware, in the learner's local zone."""
    tz = zone()
    moment = _pinned_moment()
    if moment is not None:
        if moment.tzinfo is None:
            return moment.replace(tzinfo=tz) if tz else moment.astimezone()
        return moment.astimezone(tz)
    return dt.datetime.now(tz) if tz else dt.datetime.now().astimezone()
