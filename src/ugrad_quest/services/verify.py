"""`quest verify FILE`: check a bundle's chain and XP, then re-run the hidden suites on its snapshots.

Nothing here opens the progress database: verifying someone's bundle never changes the verifier's own
progress. Each snapshot is written to a temporary folder and checked there, in a child process as always.
"""

from __future__ import annotations

import re
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from ugrad_quest.errors import QuestError
from ugrad_quest.ledger import audit, chain, snapshot
from ugrad_quest.ledger import bundle as bundle_fmt
from ugrad_quest.ledger.chain import Finding
from ugrad_quest.rules.reviews import plural
from ugrad_quest.services.context import Context

CONFIRMED, NOT_CONFIRMED, RETIRED = "confirmed", "not confirmed", "retired"
"""RETIRED: a task this version no longer checks (quest.yaml's retired); its awards are audited, not re-run."""
SPEED_TOLERANCE = 0.15
"""A speed tier re-measured here counts as reached within this fraction of it (README: Share and prove
it): CPU-time ratios carry over between machines, but not to the last few percent."""
_PACKAGE = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")


@dataclass(frozen=True)
class Claim:
    """One task a check of the bundle says it completed."""

    quest_id: str
    task_id: str
    check: int
    """The seq of the check event that completed it."""
    date: str
    status: str
    detail: str


@dataclass
class Verification:
    path: Path
    trainer: str
    exported_at: str
    tool_version: str
    events: int
    head: str | None
    xp: int
    claims: list[Claim] = field(default_factory=list)
    findings: list[Finding] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    """Things a verifier should know that are not tampering (another version of a suite)."""

    @property
    def ok(self) -> bool:
        return not self.findings and all(c.status in (CONFIRMED, RETIRED) for c in self.claims)


# (check seq, quest id, tasks to re-run, index, total) before each re-run starts.
ProgressCallback = Callable[[int, str, list[str], int, int], None]


def verify_bundle(ctx: Context, path: Path, on_progress: ProgressCallback | None = None) -> Verification:
    loaded = bundle_fmt.load(path)
    records = loaded.records
    events = [r["event"] for r in records if isinstance(r, dict) and isinstance(r.get("event"), dict)]
    tool = loaded.raw.get("tool") if isinstance(loaded.raw.get("tool"), dict) else {}
    summary = loaded.raw.get("summary") if isinstance(loaded.raw.get("summary"), dict) else {}
    result = Verification(
        path=path, trainer=loaded.trainer, exported_at=chain.as_text(loaded.raw.get("exported_at")),
        tool_version=chain.as_text(tool.get("version", "?")), events=len(records), head=loaded.head,
        xp=sum(e["xp"] for e in events if e.get("type") == "xp" and isinstance(e.get("xp"), int)))
    claimed = summary.get("xp")
    if not isinstance(claimed, int):
        result.findings.append(Finding("malformed", "the bundle's summary has no XP total"))
    elif claimed != result.xp:
        result.findings.append(Finding("xp", f"the bundle's summary says {claimed} XP, but its events add up "
                                       f"to {result.xp}: one of the two was edited"))
    result.findings += chain.check(records, loaded.head, loaded.count)
    result.findings += audit.audit_xp(events, ctx.catalog)
    intact = _check_snapshots(loaded.snapshots, events, result)
    _note_suite_versions(ctx, loaded.raw.get("suites"), result)
    _note_pinned_clock(events, result)
    _rerun(ctx, events, loaded.snapshots, intact, result, on_progress)
    result.findings.sort(key=lambda f: (not isinstance(f.seq, int), f.seq if isinstance(f.seq, int) else 0))
    return result


def _seq(event: dict) -> int | None:
    seq = event.get("seq")
    return seq if isinstance(seq, int) else None


def _check_snapshots(snapshots: dict, events: list[dict], result: Verification) -> set[str]:
    """The digests whose code is exactly what the chain recorded; every other one is reported."""
    intact = set()
    for digest, files in snapshots.items():
        if not isinstance(files, dict) or not all(isinstance(k, str) and isinstance(v, str) for k, v in files.items()):
            result.findings.append(Finding("malformed", f"snapshot {digest[:12]} is not a set of source files"))
        elif bad := snapshot.problems(files):
            more = f" and {len(bad) - 3} more" if len(bad) > 3 else ""
            result.findings.append(Finding("malformed", f"snapshot {digest[:12]} holds what no check keeps: "
                                           f"{'; '.join(bad[:3])}{more}"))
        elif snapshot.digest(files) != digest:
            names = [e.get("seq") for e in events if e.get("snapshot") == digest]
            where = ", ".join(f"#{s}" for s in names) or "no check"
            result.findings.append(Finding(
                "snapshot-changed", f"the code of the snapshot of check {where} was changed: it no longer matches "
                "the digest the chain recorded", names[0] if names else None))
        else:
            intact.add(digest)
    for event in events:
        digest = event.get("snapshot")
        if event.get("type") != "check" or not digest:
            continue
        if not isinstance(digest, str):
            result.findings.append(Finding("malformed", f"check #{event.get('seq')} names its snapshot in a form "
                                           "no export writes", _seq(event)))
        elif digest not in snapshots:
            result.findings.append(Finding("snapshot-missing", f"the snapshot of check #{event.get('seq')} "
                                           "is missing from the bundle", _seq(event)))
    return intact


def _note_suite_versions(ctx: Context, suites: object, result: Verification) -> None:
    for quest_id, digest in (suites or {}).items() if isinstance(suites, dict) else ():
        quest = ctx.catalog.find(quest_id)
        if quest is not None and bundle_fmt.suite_digest(quest) != digest:
            result.notes.append(f"the {quest_id} suite here differs from the one the bundle was made with "
                                f"(ugrad-quest {result.tool_version}): claims were re-run with this one")


def _note_pinned_clock(events: list[dict], result: Verification) -> None:
    """Dates set by hand are not tampering (scripted trials set them), but a verifier weighing a streak
    should know: the chain proves these dates were recorded, not that they were the real ones."""
    pinned = sum(1 for e in events if e.get("pinned") is True)
    if not pinned:
        return
    were, dates, they = ("was", "its date and streak show", "it") if pinned == 1 else \
        ("were", "their dates and streaks show", "they")
    result.notes.append(f"{pinned} of {plural(len(events), 'event')} {were} recorded with QUEST_NOW set (a clock "
                        f"set by hand): {dates} when {they} {were} claimed to happen, not when {they} happened")


def _rerun(ctx: Context, events: list[dict], snapshots: dict, intact: set[str], result: Verification,
           on_progress: ProgressCallback | None) -> None:
    from ugrad_quest.runner import run_suite

    checks = [e for e in events if e.get("type") == "check" and e.get("completed")]
    for event in [e for e in checks if not _task_list(e["completed"])]:
        result.findings.append(Finding("malformed", f"event #{event.get('seq')} lists its completed tasks "
                                       "in a form no export writes", _seq(event)))
    checks = [e for e in checks if _task_list(e["completed"])]
    with tempfile.TemporaryDirectory(prefix="ugrad-quest-verify-") as tmp:
        for index, event in enumerate(checks, start=1):
            seq, quest_id, date = event.get("seq"), chain.as_text(event.get("quest")), chain.as_text(event.get("date"))
            tasks = [str(t) for t in event["completed"]]
            quest, digest, package = ctx.catalog.find(quest_id), event.get("snapshot"), event.get("package")
            if quest is not None and (retired := [t for t in tasks if quest.task(t) is None and quest.known_task(t)]):
                result.claims.extend(Claim(quest_id, task, seq, date, RETIRED, "a task this version of ugrad-quest "
                                           "retired (its threshold moved): its XP and badge are audited, the task "
                                           "is not re-run") for task in retired)
                tasks = [t for t in tasks if t not in retired]
                if not tasks:
                    continue
            if quest is None:
                why = f"this version of ugrad-quest has no quest {quest_id!r} to re-run"
            elif unknown := [t for t in tasks if quest.task(t) is None]:
                why = f"{quest_id} has no task {chain.as_text(unknown[0])!r}"
            elif not digest:
                why = _no_snapshot(event)
            elif not isinstance(digest, str) or digest not in snapshots:
                why = "its snapshot is missing from the bundle"
            elif digest not in intact:
                why = "its snapshot's code was changed after the check"
            elif not isinstance(package, str) or not _PACKAGE.fullmatch(package):
                why = f"the check names no valid package ({chain.as_text(package) or 'none'})"
            elif outside := _outside(snapshots[digest], package):
                why = f"its snapshot holds files outside the package {package} it checked"
                result.findings.append(Finding("malformed", f"the snapshot of check #{seq} holds files outside the "
                                               f"package {package} it checked ({chain.as_text(outside[0])})",
                                               _seq(event)))
            else:
                why = ""
            if why:  # already reported as a finding, or not tampering at all: the claim just cannot be re-run
                result.claims.extend(Claim(quest_id, task, seq, date, NOT_CONFIRMED, why) for task in tasks)
                continue
            if on_progress:
                on_progress(seq, quest_id, tasks, index, len(checks))
            workspace = Path(tmp) / f"check-{index}"
            try:
                snapshot.write(snapshots[digest], workspace)
            except OSError as exc:  # names this system cannot hold (too long a path, a case-insensitive clash)
                detail = f"its snapshot cannot be written on this machine ({exc.strerror or exc})"
                result.claims.extend(Claim(quest_id, task, seq, date, NOT_CONFIRMED, detail) for task in tasks)
                claimed = ", ".join(f"{quest_id}/{task}" for task in tasks)
                result.findings.append(Finding("not-confirmed", f"check #{seq} claims {claimed}, but {detail}",
                                               _seq(event)))
                continue
            drivers = None
            if snapshot.is_crate(snapshots[digest]):
                drivers, why = _build_crate(ctx, quest, workspace)
                if drivers is None:
                    result.claims.extend(Claim(quest_id, task, seq, date, NOT_CONFIRMED, why) for task in tasks)
                    result.findings.append(Finding("not-confirmed", f"check #{seq} claims "
                                                   f"{', '.join(f'{quest_id}/{t}' for t in tasks)}, but {why}", seq))
                    continue
            suite = run_suite(quest, workspace, package, tasks=tasks, speed_tolerance=SPEED_TOLERANCE, drivers=drivers)
            result.notes += [n for n in suite.notes if n not in result.notes]
            for task in tasks:
                got = suite.tasks.get(task)
                if got is not None and got.passed:
                    result.claims.append(Claim(quest_id, task, seq, date, CONFIRMED,
                                               f"passed again ({got.tests_passed}/{got.tests_total} tests)"
                                               + _speed(got.measured)))
                    continue
                short = _speed_shortfall(got)
                if short:  # the code computed the right step, only not fast enough on this machine
                    result.claims.append(Claim(quest_id, task, seq, date, NOT_CONFIRMED, short))
                    result.findings.append(Finding("speed-not-confirmed", f"check #{seq} claims {quest_id}/{task}: "
                                                   f"{short}", seq))
                    continue
                detail = f"fails on its snapshot: {got.message if got is not None else 'its tests did not run'}"
                result.claims.append(Claim(quest_id, task, seq, date, NOT_CONFIRMED, detail))
                result.findings.append(Finding(
                    "not-confirmed", f"check #{seq} claims {quest_id}/{task}, but {task} {detail}", seq))


def _outside(files: dict, package: str) -> list[str]:
    """Files a snapshot holds beyond what its check ran: the package's, or a Rust crate's."""
    if snapshot.is_crate(files):
        return [n for n in files if n != snapshot.CRATE_MANIFEST and not n.startswith("src/")]
    return [n for n in files if not n.startswith(f"{package}/")]


def _build_crate(ctx: Context, quest, workspace: Path):
    """(Drivers, "") for a Rust snapshot written to workspace, or (None, why the claim cannot be re-run)."""
    from ugrad_quest.runner.cargo import build_for_check, cargo_command

    if cargo_command() is None:
        return None, "its code is a Rust crate and this machine has no cargo to build it"
    try:
        drivers, error = build_for_check(ctx.catalog, quest, workspace)
    except QuestError as exc:
        return None, str(exc).rstrip(".")
    return (drivers, "") if drivers is not None else (None, f"it did not build here ({error})")


def _task_list(completed: object) -> bool:
    return isinstance(completed, list) and all(isinstance(t, str) for t in completed)


def _no_snapshot(event: dict) -> str:
    """Why a claim has no code to re-run, as the check recorded it; checks made before m005 recorded no reason."""
    why = snapshot.SKIPPED.get(code) if isinstance(code := event.get("snapshot_skipped"), str) else None
    if why:
        return f"no snapshot was kept: {why} when it was checked"
    return (f"no snapshot was kept with this check: it was recorded before snapshots were kept, or its package "
            f"was larger than the {snapshot.MAX_BYTES / 1e6:g} MB a snapshot holds")


def _speed(measured: dict | None) -> str:
    if not measured or not isinstance(measured.get("ratio"), (int, float)):
        return ""
    on = f" on {measured['on']}" if isinstance(measured.get("on"), str) else ""
    return f", re-measured {measured['ratio']:.2f}x{on}"


def _speed_shortfall(got) -> str:
    """Why a speed claim is not confirmed on this machine, when only its speed fell short."""
    measured = got.measured if got is not None else None
    if got is None or got.status != "failed" or not measured:
        return ""
    ratio, tier = measured.get("ratio"), measured.get("tier")
    if not isinstance(ratio, (int, float)) or not isinstance(tier, (int, float)) or ratio >= tier:
        return ""
    on = f" on {measured['on']}" if isinstance(measured.get("on"), str) else ""
    return (f"not confirmed on this machine: re-measured {ratio:.2f}x{on}, where {tier:g}x with the "
            f"{SPEED_TOLERANCE:.0%} band needs {tier * (1 - SPEED_TOLERANCE):.2f}x")
