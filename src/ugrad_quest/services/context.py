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

if TYPE_CHECKING:
    from ugrad_quest.store.db import Store


@dataclass
class Context:
    quests_dir: Path
    db_path: Path
    cwd: Path
    clock: Callable[[], dt.datetime] = field(default=clock.now)

    @classmethod
    def from_environment(cls) -> "Context":
        return cls(quests_dir=paths.quests_dir(), db_path=paths.db_path(), cwd=Path.cwd())

    @cached_property
    def catalog(self) -> Catalog:
        return load_catalog(self.quests_dir)

    def open_store(self) -> "Store":
        from ugrad_quest.store.db import Store  # SQLModel is heavy: only commands that write load it

        return Store.open(self.db_path)

    def now(self) -> tuple[dt.datetime, dt.date]:
        """The moment and the learner's local calendar date, fixed once per command."""
        moment = self.clock()
        return moment, moment.date()
