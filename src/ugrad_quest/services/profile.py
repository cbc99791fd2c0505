"""`quest profile`: the trainer card, derived from the event log."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from functools import cached_property

from ugrad_quest.errors import QuestError
from ugrad_quest.rules.creature import title_for
from ugrad_quest.rules.levels import level_progress
from ugrad_quest.rules.streaks import streak
from ugrad_quest.services.context import Context

LOG_LENGTH = 10


@dataclass(frozen=True)
class LogEntry:
    date: dt.date
    kind: str
    """task, quest, quiz or badge."""
    quest_id: str
    """The quest the award belongs to ('' for a badge that belongs to none)."""
    subject: str
    """The task id, question id or badge id ('' for a quest completion)."""
    xp: int
    review: str


@dataclass(frozen=True)
class BadgeView:
    id: str
    name: str
    tier: str
    """common, rare, ultimate or legendary."""
    description: str
    """How to earn it."""
    xp: int
    earned_on: dt.date | None = None


@dataclass(frozen=True)
class Heatmap:
    today: dt.date
    xp_by_day: dict[dt.date, int]
    """XP earned on each active day of the shown window (days with none are absent)."""
    missed: frozenset[dt.date] = frozenset()
    """Days that broke a streak (no activity and no freeze left)."""
    frozen: frozenset[dt.date] = frozenset()
    """Days without activity that a streak freeze covered."""

    @cached_property
    def busiest(self) -> int:
        return max(self.xp_by_day.values(), default=0)

    def level(self, day: dt.date) -> int:
        """0 for no XP, else 1-4: the day's XP in quarters of the busiest day shown."""
        xp = self.xp_by_day.get(day, 0)
        if xp <= 0:
            return 0
        return max(1, min(4, -(-4 * xp // self.busiest)))


@dataclass
class Profile:
    trainer: str
    title: str
    level: int
    xp: int
    xp_into_level: int
    xp_for_level: int
    streak: int
    longest_streak: int
    active_days: int
    freezes_held: int
    tasks_completed: int
    tasks_total: int
    quests_completed: int
    quests_total: int
    heatmap: Heatmap
    badges: list[BadgeView] = field(default_factory=list)
    """Earned badges, newest first."""
    badges_total: int = 0
    all_badges: list[BadgeView] = field(default_factory=list)
    """Every badge in the rules' order, earned or not (earned_on is None until it is)."""
    quizzes: int = 0
    """Quiz questions answered correctly."""
    quizzes_total: int = 0
    log: list[LogEntry] = field(default_factory=list)
    """The latest awards, newest first."""


def default_trainer_name() -> str:
    import subprocess  # only for a trainer who has not named themselves

    try:
        name = subprocess.run(["git", "config", "user.name"], capture_output=True, text=True, timeout=2).stdout.strip()
    except (OSError, subprocess.SubprocessError):
        name = ""
    # Not the login name: on a shared or scripted machine that is "root" or a CI user, never the learner.
    return name or "Trainer"


def _langs(ctx: Context) -> list[str | None]:
    """The languages the learner's quizzes are asked in: their workspaces' (Python before any), or every
    question at once when they work in more than one (a question asked in both counts once then)."""
    from ugrad_quest import workspace
    from ugrad_quest.store.quick_reads import recent_workspaces

    langs = set()
    for root in recent_workspaces(ctx.db_path):
        try:
            langs.add(workspace.load(root).lang)
        except QuestError:
            continue
    return [None] if len(langs) > 1 else [langs.pop() if langs else "python"]


HEATMAP_DAYS = 53 * 7
NAME_KEY, TITLE_KEY = "trainer_name", "trainer_title"


def build_profile(ctx: Context) -> Profile:
    from ugrad_quest.services.badges import badge_views

    catalog = ctx.catalog
    store = ctx.open_store()
    try:
        from ugrad_quest.store import progress as rows

        _, today = ctx.now()
        with store.session() as session:
            # Aggregates only: a year of events costs a few indexed GROUP BYs, not a Python loop over rows.
            by_day = rows.xp_by_day(session)
            xp = sum(by_day.values())  # every award has a date: the days' sums are the total
            tasks = rows.count_task_passes(session)
            quests = rows.count_awards(session, "quest")
            quizzes = rows.count_awards(session, "quiz")
            earned = rows.earned_badges(session)
            name = rows.get_setting(session, NAME_KEY)
            title = rows.get_setting(session, TITLE_KEY)
            log = [LogEntry(a.local_date, a.kind, a.quest_id, a.task_id, a.xp, a.review)
                   for a in rows.awards(session, LOG_LENGTH)]
    finally:
        store.close()
    lv = level_progress(xp)
    st = streak(by_day, today)
    window_start = today - dt.timedelta(days=HEATMAP_DAYS)
    heatmap = Heatmap(
        today=today, xp_by_day={d: x for d, x in by_day.items() if window_start <= d <= today},
        missed=frozenset(d for d in st.missed if d >= window_start),
        frozen=frozenset(d for d in st.frozen if d >= window_start))
    all_badges = badge_views(catalog, earned)
    by_id = {b.id: b for b in all_badges}
    mine = [by_id[i] for i in reversed(earned) if i in by_id]  # a badge a quest no longer has is left out
    return Profile(
        trainer=name or default_trainer_name(), title=title or title_for(lv.level),
        level=lv.level, xp=lv.xp, xp_into_level=lv.xp_into_level, xp_for_level=lv.xp_for_level,
        streak=st.current, longest_streak=st.longest, active_days=st.active_days, freezes_held=st.freezes_held,
        tasks_completed=tasks, tasks_total=sum(len(q.tasks) for q in catalog.quests),
        quests_completed=quests, quests_total=len(catalog.quests), heatmap=heatmap,
        badges=mine, badges_total=len(all_badges), all_badges=all_badges,
        quizzes=quizzes, quizzes_total=sum(len(q.quiz_for(lang)) for q in catalog.quests for lang in _langs(ctx)),
        log=log,
    )
