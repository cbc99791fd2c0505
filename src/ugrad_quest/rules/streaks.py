"""Daily streaks over local calendar dates.

Consecutive means a date difference of exactly one day (date arithmetic, never seconds / 86400, so
DST changes cannot break a streak), and today is not missed until it is over.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass


@dataclass(frozen=True)
class Streak:
    current: int
    longest: int
    active_days: int


def streak(active: Iterable[dt.date], today: dt.date) -> Streak:
    days = sorted(set(d for d in active if d <= today))
    longest = run = 0
    previous: dt.date | None = None
    for day in days:
        run = run + 1 if previous is not None and (day - previous).days == 1 else 1
        longest = max(longest, run)
        previous = day
    # The run ending on the last active day is current only if that day is today or yesterday.
    current = run if previous is not None and (today - previous).days <= 1 else 0
    return Streak(current=current, longest=longest, active_days=len(days))
