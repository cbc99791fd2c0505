"""Turn SQLite and file-system failures into one sentence a learner can act on.

Each failure the learner can tell apart and fix differently has its own sentence: the database was
deleted or moved, cannot be read, is read-only (the file or its folder), is a folder, is locked, is
damaged, fills the disk, or comes from a newer version of the tool. Every sentence says whether
anything was written; the store only writes in transactions, so a failed command recorded nothing.
"""

from __future__ import annotations

import os
import sqlite3
from pathlib import Path

from ugrad_quest.errors import QuestError


class StoreError(QuestError):
    pass


def locked(path: Path) -> StoreError:
    return StoreError(f"The progress database {path} is locked by another quest command or another program "
                      "that has it open; try again when it has finished (nothing was changed).")


def damaged(path: Path) -> StoreError:
    return StoreError(f"The progress database {path} is damaged or is not a ugrad-quest database; "
                      "move it aside to start a new one (it was left untouched).")


def moved(path: Path) -> StoreError:
    return StoreError(f"The progress database {path} was deleted or moved while this command was using it, so "
                      "nothing was recorded; put it back, or run the command again to start a new one.")


def unreadable(path: Path) -> StoreError:
    return StoreError(f"The progress database {path} cannot be read (permission denied on it or its folder); "
                      "give yourself access or set QUEST_HOME to another folder (nothing was changed).")


def is_a_folder(path: Path) -> StoreError:
    return StoreError(f"The progress database {path} is a folder, not a file; move it aside or set QUEST_HOME "
                      "to another folder (nothing was changed).")


def read_only(path: Path) -> StoreError:
    if path.exists() and not os.access(path, os.W_OK):
        return StoreError(f"The progress database {path} is read-only, so nothing was recorded; make it "
                          "writable or set QUEST_HOME to another folder.")
    # SQLite writes a journal beside the database, so the folder must be writable too.
    return StoreError(f"The folder {path.parent} that holds the progress database is read-only, so nothing was "
                      "recorded; make it writable or set QUEST_HOME to another folder.")


def newer_version(path: Path, migrations: list[str], version: str | None) -> StoreError:
    from ugrad_quest import __version__

    by = f"ugrad-quest {version}, newer than this {__version__}" if version else \
        f"a newer ugrad-quest (it records {', '.join(migrations)}, which {__version__} does not know)"
    return StoreError(f"The progress database {path} was written by {by}; upgrade ugrad-quest to use it "
                      "(it was left untouched).")


def unknown_tables(path: Path, problem: str) -> StoreError:
    return StoreError(f"The progress database {path} has tables this version of ugrad-quest does not know "
                      f"({problem}), probably from a newer version; upgrade ugrad-quest to use it "
                      "(it was left untouched).")


def explain(exc: BaseException, path: Path) -> StoreError:
    orig = getattr(exc, "orig", None) or exc
    # The extended result code tells apart what the message alone does not ("attempt to write a
    # readonly database" is also what SQLite says when the file was deleted under it).
    code = getattr(orig, "sqlite_errorname", None) or ""
    text = str(orig).lower()
    if code.startswith(("SQLITE_BUSY", "SQLITE_LOCKED")) or "locked" in text or "busy" in text:
        return locked(path)
    if code == "SQLITE_READONLY_DBMOVED":
        return moved(path)
    if code.startswith(("SQLITE_NOTADB", "SQLITE_CORRUPT")) or (
            isinstance(orig, sqlite3.DatabaseError) and ("not a database" in text or "malformed" in text)):
        return damaged(path)
    if code.startswith("SQLITE_READONLY") or "readonly" in text or "read-only" in text:
        return read_only(path)
    if code.startswith("SQLITE_FULL"):
        return StoreError(f"The disk that holds the progress database {path} is full, so nothing was recorded; "
                          "free some space and run the command again.")
    if code.startswith("SQLITE_IOERR") or "disk i/o error" in text:
        return StoreError(f"Writing the progress database {path} failed with a disk error, so nothing was recorded; "
                          "check that its disk has space and works (a file size limit counts too), then run the "
                          "command again.")
    if code.startswith("SQLITE_CANTOPEN") or "unable to open" in text:
        try:
            if path.is_dir():
                return is_a_folder(path)
            if not path.parent.is_dir():
                return moved(path)  # its folder went away after this command created it
            if path.exists() and not os.access(path, os.R_OK):
                return unreadable(path)
        except PermissionError:  # the folder cannot even be searched
            return unreadable(path)
        if not os.access(path.parent, os.W_OK | os.X_OK):
            return read_only(path)
    return StoreError(f"The progress database {path} could not be used ({orig}); nothing was recorded.")
