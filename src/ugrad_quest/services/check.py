"""`quest check`: run the hidden suite, then record the attempt and its awards in one transaction."""

from __future__ import annotations

import threading
from collections.abc import Callable
from contextlib import AbstractContextManager, contextmanager, nullcontext, suppress
from dataclasses import dataclass, field

from ugrad_quest.errors import QuestError
from ugrad_quest.ledger import snapshot
from ugrad_quest.rules import awards as award_rules
from ugrad_quest.rules.levels import level_progress
from ugrad_quest.runner import SuiteResult, TaskResult, TestOutcome
from ugrad_quest.runner.run import start_suite
from ugrad_quest.runner.protocol import ERROR
from ugrad_quest.services.context import Context
from ugrad_quest.store.quick_reads import check_database_file


@dataclass(frozen=True)
class TaskReport:
    id: str
    title: str
    status: str
    required: bool
    message: str
    xp_awarded: int
    tests_passed: int
    tests_total: int
    duration: float
    regressed: bool = False
    """It passed on an earlier check and does not pass now."""


@dataclass
class CheckResult:
    quest_id: str
    title: str
    passed: bool
    """Every required task that was checked passed (with --task: the named tasks passed)."""
    tasks: list[TaskReport]
    xp_awarded: int
    quest_xp_awarded: int
    badges_awarded: list[str]
    duration: float
    level_before: int
    level_after: int
    next_task: str | None
    """The first task still to pass, for the learner's next step."""
    partial: bool = False
    """Only some tasks were checked (--task)."""
    output: str = ""
    output_bytes: int = 0
    problems: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """What the learner should know about this check itself (e.g. that their code ran unconfined)."""
    badges: list[tuple[str, str, int]] = field(default_factory=list)
    """(name, tier, XP) of each badge this check earned."""
    complete: bool = False
    """The quest is complete (on this check or an earlier one)."""
    completion_pending: bool = False
    """Every required task has passed on some check, but never all on one: a full check completes it."""
    next_quest: str | None = None
    """Once the quest is complete: the quest it unlocks that is not complete yet."""
    line_complete: bool = False
    """Every quest of the catalog is complete."""


ProgressCallback = Callable[[TestOutcome, int, int], None]
"""Called with each finished test; a progress bar's also has build(line), for each line cargo prints
while a Rust crate is built."""
Display = Callable[[], AbstractContextManager]
"""Shows a check at work: entered once the work starts (the judge runs, or a crate is to be built), it
gives the ProgressCallback (or None)."""


def check_quest(ctx: Context, quest_id: str | None = None, task_ids: list[str] | None = None,
                display: Display | None = None, warm=None) -> CheckResult:
    """warm: a runner.warm.WarmJudge to fork the judge from (quest watch)."""
    ws = ctx.workspace()
    quest_id = quest_id or ws.active_quest
    if quest_id is None:
        raise QuestError(f"No quest is started in {ws.root}; run `quest start value` first.")
    quest = ctx.catalog.get(quest_id)
    if quest.id not in ws.quests:
        raise QuestError(f"Quest {quest.id!r} is not started in {ws.root}; run `quest start {quest.id}` first.")
    for task_id in task_ids or []:
        if quest.task(task_id) is None:
            known = ", ".join(t.id for t in quest.tasks)
            raise QuestError(f"Quest {quest.id!r} has no task {task_id!r} (tasks: {known}).")

    check_database_file(ctx.db_path)  # a damaged database stops us before any work is done
    moment, today = ctx.now()
    # Read before the suite starts: the snapshot is the code this check ran on, whatever is saved meanwhile.
    source = snapshot.capture(ws.root, ws.package, ws.lang)
    # The store opens in a thread once the judge runs: waiting for another check's write lock must
    # neither delay the judge nor freeze the progress bar.
    opening: list[Callable] = []

    @contextmanager
    def at_work():
        opening.append(_in_thread(ctx.open_store))
        with (display or nullcontext)() as bar:
            yield bar

    try:
        suite = _judge(ctx, quest, ws, task_ids, at_work, warm)
    except BaseException:
        if opening:
            with suppress(Exception):
                opening[0]().close()
        raise
    store = opening[0]() if opening else ctx.open_store()  # re-raises a store error, after the child is gone
    try:
        checked = [t for t in quest.tasks if t.id in suite.tasks]
        passed = all(suite.tasks[t.id].passed for t in checked if t.required or task_ids)
        result = _record(store, ctx.catalog, quest, ws, suite, checked, passed, moment, today, source)
        result.partial = bool(task_ids)
        return result
    finally:
        store.close()


def _in_thread(work: Callable):
    """Start work() in a thread; the returned function waits for its result (or raises its error)."""
    done: dict = {}

    def run() -> None:
        try:
            done["result"] = work()
        except BaseException as exc:  # handed to the caller, in its thread
            done["error"] = exc

    thread = threading.Thread(target=run, daemon=True)
    thread.start()

    def result():
        thread.join()
        if "error" in done:
            raise done["error"]
        return done["result"]

    return result


def _judge(ctx: Context, quest, ws, task_ids, display: Display, warm) -> SuiteResult:
    """The suite's verdicts; for a Rust crate, built first (a crate that does not compile is an error
    of every task, with the compiler's first diagnostic). The judge of a Python package starts before
    the display, whose imports then overlap the judge's start-up."""
    tasks = task_ids or None
    if ws.lang == "rust":
        from ugrad_quest.runner.cargo import build_for_check

        with display() as bar:
            drivers, error = build_for_check(ctx.catalog, quest, ws.root, bar.build if bar else None)
            if drivers is None:
                return not_built(quest, task_ids, error)
            return start_suite(quest, ws.root, ws.package, tasks=tasks, drivers=drivers, warm=warm).wait(bar)[0]
    judging = start_suite(quest, ws.root, ws.package, tasks=tasks, warm=warm)
    try:
        with display() as bar:
            return judging.wait(bar)[0]
    finally:
        judging.stop()  # when the display failed to start, or was interrupted; nothing once the judge is done


def not_built(quest, task_ids, error: str) -> SuiteResult:
    """Every selected task an error saying why the crate did not build."""
    tasks = {t.id: TaskResult(t.id, ERROR, error, 0.0, 0, 0)
             for t in quest.tasks if not task_ids or t.id in task_ids}
    return SuiteResult(quest.id, tasks, 0.0)


def _record(store, catalog, quest, ws, suite, checked, passed, moment, today, source) -> CheckResult:
    from ugrad_quest.services import awarding
    from ugrad_quest.store import progress as rows

    earned: dict[str, int] = {}
    with store.session() as session:
        # One transaction, under SQLite's write lock: a concurrent check waits, then finds the
        # passes already recorded and awards nothing twice (the unique keys guarantee it).
        xp_before = rows.total_xp(session)
        attempt_id = rows.add_attempt(
            session, quest.id, str(ws.root), ws.package, moment, today, int(suite.duration * 1000), passed,
            [(t.id, suite.tasks[t.id].status, int(suite.tasks[t.id].duration * 1000), suite.tasks[t.id].message)
             for t in checked])
        passed_before = {t for _, t in rows.passed_tasks(session, quest.id)}
        first_passes = [t for t in checked if suite.tasks[t.id].passed
                        and rows.add_task_pass(session, quest.id, t.id, attempt_id, moment, today)]
        if first_passes and source.files:
            # Only checks that complete a task are claims anyone may want to re-run (quest export).
            encoded = snapshot.encode(source.files)
            rows.keep_snapshot(session, attempt_id, snapshot.digest_of_encoded(encoded), encoded)
        elif first_passes:
            rows.skip_snapshot(session, attempt_id, source.skipped)
        checks = rows.checks_before_pass(session, quest.id, [t.id for t in first_passes])
        for task in first_passes:
            xp = awarding.award_task(session, quest, task.for_lang(ws.lang), attempt_id, checks.get(task.id, 1),
                                     moment, today, suite.tasks[task.id].measured)
            if xp:
                earned[task.id] = xp
        ever_passed = {t for _, t in rows.passed_tasks(session, quest.id)}
        # Completion (and the badges that follow from it) needs one check on which every required task
        # passes: a quest is never "complete" on a check that reports a required task failing.
        passed_now = {t.id for t in checked if suite.tasks[t.id].passed}
        quest_xp = awarding.award_completion(session, quest, passed_now, ever_passed, attempt_id, moment, today)
        badges = awarding.award_badges(session, catalog, moment, today, attempt_id)
        xp_after = rows.total_xp(session)
        completed = set(rows.completed_quests(session))

    reports = [
        TaskReport(id=t.id, title=t.title, status=suite.tasks[t.id].status, required=t.required,
                   message=suite.tasks[t.id].message, xp_awarded=earned.get(t.id, 0),
                   tests_passed=suite.tasks[t.id].tests_passed, tests_total=suite.tasks[t.id].tests_total,
                   duration=suite.tasks[t.id].duration,
                   regressed=not suite.tasks[t.id].passed and t.id in passed_before)
        for t in checked
    ]
    complete = quest.id in completed
    next_task = next((t.id for t in quest.tasks if t.id not in ever_passed), None)
    return CheckResult(
        quest_id=quest.id, title=quest.title, passed=passed, tasks=reports,
        xp_awarded=xp_after - xp_before, quest_xp_awarded=quest_xp, badges_awarded=[b.id for b in badges],
        badges=[(b.name, b.tier, b.xp) for b in badges],
        duration=suite.duration, level_before=level_progress(xp_before).level,
        level_after=level_progress(xp_after).level, next_task=next_task,
        output=suite.output, output_bytes=suite.output_bytes, problems=suite.problems,
        notes=suite.notes + ([f"no snapshot of your code was kept for `quest export`, so `quest verify` cannot "
                              f"re-run this check: {source.why}"] if first_passes and not source.files else []),
        complete=complete, completion_pending=not complete and award_rules.quest_complete(quest, ever_passed),
        next_quest=_unlocked(catalog, quest, completed) if complete else None,
        line_complete=all(q.id in completed for q in catalog.quests),
    )


def _unlocked(catalog, quest, completed: set[str]) -> str | None:
    """The first quest that builds on `quest`, can be started now and is not complete yet."""
    return next((q.id for q in catalog.quests
                 if quest.id in q.requires and q.id not in completed and all(r in completed for r in q.requires)),
                None)
