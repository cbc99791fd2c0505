"""Turn SQLite failures into one sentence a learner can act on."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from ugrad_quest.errors import QuestError


class StoreError(QuestError):
    pass


def explain(exc: BaseException, path: Path) -> StoreError:
    orig = getattr(exc, "orig", None) or exc
    text = str(orig).lower()
    if "locked" in text or "busy" in text:
        return StoreError(f"The progress database {path} is locked by another quest command; "
                          "try again when it has finished (nothing was changed).")
    if isinstance(orig, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text
                                                     or "corrupt" in text):
        return StoreError(f"The progress database {path} is damaged or is not a ugrad-quest database; "
                          "move it aside to start a new one (it was left untouched).")
    if "readonly" in text or "read-only" in text or "unable to open" in text or "disk i/o" in text:
        return StoreError(f"The progress database {path} cannot be written ({orig}); "
                          "check the folder's permissions or set QUEST_HOME.")
    return StoreError(f"The progress database {path} could not be used: {orig}.")
