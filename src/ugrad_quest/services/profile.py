"""`quest profile`: the trainer card, derived from the event log."""

from __future__ import annotations

import datetime as dt
import getpass
import subprocess
from dataclasses import dataclass, field

from ugrad_quest.rules.levels import level_progress
from ugrad_quest.rules.streaks import streak
from ugrad_quest.services.context import Context

LOG_LENGTH = 10


@dataclass(frozen=True)
class LogEntry:
    date: dt.date
    quest_id: str
    task_id: str
    xp: int
    review: str


@dataclass
class Profile:
    trainer: str
    level: int
    xp: int
    xp_into_level: int
    xp_for_level: int
    streak: int
    longest_streak: int
    active_days: int
    tasks_completed: int
    quests_completed: int
    badges: list[str] = field(default_factory=list)
    quizzes: int = 0
    log: list[LogEntry] = field(default_factory=list)


def default_trainer_name() -> str:
    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=2).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    if name:
        return name
    try:
        return getpass.getuser()
    except (OSError, KeyError):
        return "Trainer"


def build_profile(ctx: Context) -> Profile:
    store = ctx.open_store()
    try:
        from ugrad_quest.store import progress as rows

        _, today = ctx.now()
        with store.session() as session:
            xp = rows.total_xp(session)
            days = rows.active_dates(session)
            tasks = rows.count_task_passes(session)
            quests = len(rows.completed_quests(session))
            name = rows.get_setting(session, "trainer_name")
            log = [LogEntry(a.local_date, a.quest_id, a.task_id, a.xp, a.review)
                   for a in rows.recent_awards(session, LOG_LENGTH)]
    finally:
        store.close()
    lv = level_progress(xp)
    st = streak(days, today)
    return Profile(
        trainer=name or default_trainer_name(), level=lv.level, xp=lv.xp, xp_into_level=lv.xp_into_level,
        xp_for_level=lv.xp_for_level, streak=st.current, longest_streak=st.longest, active_days=st.active_days,
        tasks_completed=tasks, quests_completed=quests, log=log,
    )
