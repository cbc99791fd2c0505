"""Where the tool keeps its data and finds its quests."""

from __future__ import annotations

import os
from pathlib import Path

APP_NAME = "ugrad-quest"
DB_FILENAME = "progress.sqlite3"


def data_dir() -> Path:
    """The directory holding the progress database; QUEST_HOME overrides it (tests always set it)."""
    override = os.environ.get("QUEST_HOME")
    if override:
        return Path(override).expanduser()
    # XDG-style default without an extra dependency: the tool only ever needs this one folder.
    xdg = os.environ.get("XDG_DATA_HOME")
    base = Path(xdg).expanduser() if xdg else Path.home() / ".local" / "share"
    return base / APP_NAME


def db_path() -> Path:
    return data_dir() / DB_FILENAME


def cache_dir() -> Path:
    """Files the tool can always make again (parsed quest files, Rust builds): QUEST_CACHE overrides it."""
    override = os.environ.get("QUEST_CACHE")
    if override:
        return Path(override).expanduser()
    xdg = os.environ.get("XDG_CACHE_HOME")
    return (Path(xdg).expanduser() if xdg else Path.home() / ".cache") / APP_NAME


def quests_dir() -> Path:
    """The quest catalog: QUEST_QUESTS_DIR (fixture courses in tests), the wheel's copy, or the source tree."""
    override = os.environ.get("QUEST_QUESTS_DIR")
    if override:
        return Path(override).expanduser()
    packaged = Path(__file__).parent / "quests"
    if packaged.is_dir():
        return packaged
    # Editable installs and source checkouts: quests/ sits at the repository root.
    return Path(__file__).resolve().parents[2] / "quests"
