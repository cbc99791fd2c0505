"""`quest lint`: the quest author's checks (after rustlings' `dev check`).

A quest is sound when its YAML loads, every hidden test names one of its tasks and every task has
tests, the starter FAILS every required task, and a reference solution PASSES them.
"""

from __future__ import annotations

import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path

from ugrad_quest.catalog import Quest
from ugrad_quest.runner import run_suite
from ugrad_quest.services.context import Context
from ugrad_quest.services.start import STARTER_PACKAGE, starter_files


@dataclass
class LintReport:
    quest_id: str
    problems: list[str] = field(default_factory=list)
    starter_statuses: dict[str, str] = field(default_factory=dict)
    reference_statuses: dict[str, str] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.problems


def _scaffold_starter(quest: Quest, catalog, into: Path) -> None:
    # A later quest's starter builds on earlier ones: lay down every required quest's starter first.
    for q in catalog.lineage(quest.id):
        for src, rel in starter_files(q.starter_dir, STARTER_PACKAGE):
            dest = into / rel
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)


def lint_quest(ctx: Context, quest_id: str, reference: Path | None = None, package: str = "ugrad") -> LintReport:
    quest = ctx.catalog.get(quest_id)
    report = LintReport(quest.id)
    with tempfile.TemporaryDirectory(prefix="ugrad-lint-") as tmp:
        starter_ws = Path(tmp)
        _scaffold_starter(quest, ctx.catalog, starter_ws)
        starter = run_suite(quest, starter_ws, STARTER_PACKAGE)
    report.problems += starter.problems
    report.starter_statuses = {t: r.status for t, r in starter.tasks.items()}
    for task in quest.required_tasks:
        if starter.tasks[task.id].passed:
            report.problems.append(f"the starter already passes the required task {task.id!r}")
    if reference is not None:
        ref = run_suite(quest, reference, package)
        report.reference_statuses = {t: r.status for t, r in ref.tasks.items()}
        for task in quest.required_tasks:
            if not ref.tasks[task.id].passed:
                report.problems.append(f"the reference solution fails the required task {task.id!r}: "
                                       f"{ref.tasks[task.id].status}: {ref.tasks[task.id].message}")
    return report
