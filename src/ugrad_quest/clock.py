"""The one place that reads the wall clock and the learner's time zone.

QUEST_NOW (ISO 8601; local time if it has no offset) pins the moment and TZ picks the zone, both
read on every call, so one scripted command can be given its own clock and zone:
`QUEST_NOW=2026-03-08T23:30:00 TZ=America/New_York quest check`.

A pinned moment must fall within EARLIEST..LATEST in the learner's zone. The game does date
arithmetic around today (a year of heatmap before it, the rest of its week after it), which the
calendar cannot do at year 1 or 9999, and before 1970 some platforms cannot convert a time to a zone.
"""

from __future__ import annotations

import datetime as dt
import os

from ugrad_quest.errors import QuestError

EARLIEST = dt.date(1970, 1, 1)
LATEST = dt.date(9998, 12, 31)
"""The dates a moment set with QUEST_NOW may have: a year of room before and after for date arithmetic."""


def zone() -> dt.tzinfo | None:
    """The zone named by TZ, or None for the system's own local zone.

    Read here rather than left to the C library, which reads TZ once per process.
    """
    name = os.environ.get("TZ", "").lstrip(":")
    if not name:
        return None
    from zoneinfo import ZoneInfo, ZoneInfoNotFoundError  # only with TZ set: a tenth of a quick command's imports

    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, OSError):
        return None  # a POSIX rule such as EST5EDT4 the zone database lacks: the C library still knows it


def _pinned_moment() -> dt.datetime | None:
    """The local moment QUEST_NOW names, None when it is not set; QuestError when it names none we can use."""
    pinned = os.environ.get("QUEST_NOW")
    if not pinned:
        return None
    try:
        moment = dt.datetime.fromisoformat(pinned)
    except ValueError:
        raise QuestError(f"QUEST_NOW={pinned!r} is not an ISO date and time such as 2026-03-08T23:30:00.") from None
    out_of_range = QuestError(f"QUEST_NOW={pinned!r} is outside the dates quest can record "
                              f"({EARLIEST} to {LATEST} in your time zone).")
    # Checked before converting too: converting a moment in year 1 or 9999 to a zone can overflow.
    if not EARLIEST <= moment.date() <= LATEST:
        raise out_of_range
    tz = zone()
    try:
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=tz) if tz else moment.astimezone()
        else:
            moment = moment.astimezone(tz)
    except (OverflowError, OSError, ValueError):  # the C library's mktime on a platform that stops at 1970
        raise out_of_range from None
    if not EARLIEST <= moment.date() <= LATEST:  # an offset can carry 1970-01-01T00:00 back into 1969
        raise out_of_range
    return moment


def pinned() -> bool:
    """Whether now() gives a moment set by hand (QUEST_NOW set), not the wall clock's.

    A QUEST_NOW that now() would refuse is refused here too, with the same QuestError: every command
    asks this before it opens the progress database (services.Context.open_store), so a bad QUEST_NOW
    stops it before anything is written, whether or not it reads the clock later. Every event row
    records the answer, so a bundle can say which of its dates were set by hand.
    """
    return _pinned_moment() is not None


def now() -> dt.datetime:
    """The current time, timezone-aware, in the learner's local zone."""
    moment = _pinned_moment()
    if moment is not None:
        return moment
    tz = zone()
    return dt.datetime.now(tz) if tz else dt.datetime.now().astimezone()
