"""`quest profile --html/--svg`: save a rendered card to a file without ever destroying someone else's.

A learner points --html at a path they chose, maybe one that already holds their own page. So an existing
file is replaced only when it carries MARKER, i.e. an earlier card we wrote; anything else stops the
command with the file untouched. The new card is written beside the target and moved over it in one
rename, so a crash or a full disk leaves the old card (or nothing), never half a card.
"""

from __future__ import annotations

import os
import tempfile
from dataclasses import dataclass
from pathlib import Path

from ugrad_quest.errors import QuestError

MARKER = "<!-- ugrad-quest trainer card -->"
"""Every card we write holds this comment near its top; it is what makes a file safe to overwrite."""
MARKER_WITHIN = 4096
"""Bytes of an existing file searched for MARKER: it is near the top, so a large foreign file is not read."""


@dataclass(frozen=True)
class SavedCard:
    path: Path
    size: int
    """Bytes written."""


def written_by_us(path: Path) -> bool:
    with path.open("rb") as f:
        return MARKER.encode() in f.read(MARKER_WITHIN)


def check_target(path: Path) -> None:
    """Raise QuestError unless `path` can take a card: its folder exists and it is new or a card of ours."""
    folder = path.parent
    if not folder.is_dir():
        what = "is not a folder" if folder.exists() else "does not exist"
        raise QuestError(f"Cannot write {path}: the folder {folder} {what}.")
    if path.is_dir():
        raise QuestError(f"{path} is a folder; give a file path such as {path / 'card.html'}.")
    if path.exists():
        try:
            ours = written_by_us(path)
        except OSError as exc:
            raise QuestError(f"Cannot read {path} to see whether it is a card: {exc.strerror or exc}.") from None
        if not ours:
            raise QuestError(f"{path} exists and is not a ugrad-quest card; choose another path or delete it.")


def _new_file_mode() -> int:
    # mkstemp makes the file 0600; a card is meant to be shared, so give it the mode a plain `open` would.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def save_card(path: Path, text: str) -> SavedCard:
    """Write `text` (which must contain MARKER) to `path` atomically, replacing only a card of ours."""
    if MARKER not in text[:MARKER_WITHIN]:
        raise ValueError("a card must carry MARKER near its top, or the next save would refuse to replace it")
    check_target(path)
    data = text.encode("utf-8")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise QuestError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
            f.flush()
            os.fsync(f.fileno())
        os.chmod(tmp, _new_file_mode())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise QuestError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return SavedCard(path, len(data))
