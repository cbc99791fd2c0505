"""Daily streaks over local calendar dates, with streak freezes.

Consecutive means a date difference of exactly one day (date arithmetic, never seconds / 86400, so
DST changes cannot break a streak), and today is not missed until it is over.

Freezes: every 7th active day of a streak earns one (at most 2 held). A day with no activity inside
a streak uses a held freeze automatically and is marked frozen: the streak survives it, but it does
not count towards the streak's length. With no freeze left the day is marked missed and the streak
ends. Everything is derived from the active dates, so it is the same however often it is computed.
"""

from __future__ import annotations

import bisect
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field

FREEZE_EVERY = 7
MAX_FREEZES = 2
_DAY = dt.timedelta(days=1)


@dataclass(frozen=True)
class Streak:
    current: int
    """Active days in the streak still alive today (0 if it broke)."""
    longest: int
    active_days: int
    freezes_held: int
    missed: frozenset[dt.date] = field(default_factory=frozenset)
    """Days that broke a streak."""
    frozen: frozenset[dt.date] = field(default_factory=frozenset)
    """Days a freeze covered."""


def streak(active: Iterable[dt.date], today: dt.date) -> Streak:
    days = set(d for d in active if d <= today)
    if not days:
        return Streak(current=0, longest=0, active_days=0, freezes_held=0)
    run = longest = held = 0
    missed: set[dt.date] = set()
    frozen: set[dt.date] = set()
    ordered = sorted(days)
    day = ordered[0]
    # Day by day while a streak is alive; between streaks straight to the next active day, so a
    # lone event in year 1 costs one step, not 700,000. Never past today, which may be date.max.
    while True:
        if day in days:
            run += 1
            longest = max(longest, run)
            if run % FREEZE_EVERY == 0:
                held = min(MAX_FREEZES, held + 1)
        elif day < today and run:
            if held:
                held -= 1
                frozen.add(day)
            else:
                missed.add(day)
                run = 0
        if day >= today:
            break
        if run:
            day += _DAY
        else:  # nothing to freeze or break (a freeze is only held within a streak)
            later = bisect.bisect_right(ordered, day)
            if later == len(ordered):
                break
            day = ordered[later]
    return Streak(current=run, longest=longest, active_days=len(days), freezes_held=held,
                  missed=frozenset(missed), frozen=frozenset(frozen))
