"""What every service needs from the outside world, passed explicitly (no module-level state)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import TYPE_CHECKING

from ugrad_quest import clock, paths
from ugrad_quest.catalog import Catalog, load_catalog
from ugrad_quest.clock import pinned as _clock_is_pinned  # the field `clock` hides the module in the class body

if TYPE_CHECKING:
    from ugrad_quest.store.db import Store
    from ugrad_quest.workspace import Workspace


@dataclass
class Context:
    quests_dir: Path
    db_path: Path
    cwd: Path
    clock: Callable[[], dt.datetime] = field(default=clock.now)
    clock_pinned: Callable[[], bool] = field(default=_clock_is_pinned)
    """Whether `clock` gives moments set by hand (QUEST_NOW): every event row the store writes records it."""

    @classmethod
    def from_environment(cls) -> "Context":
        return cls(quests_dir=paths.quests_dir(), db_path=paths.db_path(), cwd=Path.cwd())

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.quests_dir)

    def open_store(self) -> "Store":
        from ugrad_quest.store.db import Store  # SQLModel is heavy: only commands that write load it

        # Decided once per command, here: the store's sessions carry it to every row they insert.
        return Store.open(self.db_path, clock_pinned=self.clock_pinned())

    def workspace(self) -> "Workspace":
        """The workspace holding cwd; outside one, a QuestError that names the learner's last workspace."""
        from ugrad_quest import workspace
        from ugrad_quest.store.quick_reads import recent_workspaces

        found = workspace.find(self.cwd)
        if found is None:
            raise workspace.not_a_workspace(self.cwd, recent_workspaces(self.db_path))
        return found

    def now(self) -> tuple[dt.datetime, dt.date]:
        """The moment and the learner's local calendar date, fixed once per command."""
        moment = self.clock()
        return moment, moment.date()
