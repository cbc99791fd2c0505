"""`quest profile --html/--svg`: save a rendered card to a file without ever destroying someone else's.

A learner points --html at a path they chose, maybe one that already holds their own page. So an existing
file is replaced only when it carries MARKER, i.e. an earlier card we wrote (services/output_file.py
does the safe, atomic write).
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from ugrad_quest.services import output_file

MARKER = "<!-- ugrad-quest trainer card -->"
"""Every card we write holds this comment near its top; it is what makes a file safe to overwrite."""


@dataclass(frozen=True)
class SavedCard:
    path: Path
    size: int
    """Bytes written."""


def _ours(head: bytes) -> bool:
    return MARKER.encode() in head


def check_target(path: Path) -> None:
    """Raise QuestError unless `path` can take a card: its folder exists and it is new or a card of ours."""
    output_file.check_target(path, _ours, "card", "card.html")


def save_card(path: Path, text: str) -> SavedCard:
    """Write `text` (which must contain MARKER) to `path` atomically, replacing only a card of ours."""
    if MARKER not in text[:output_file.HEAD_BYTES]:
        raise ValueError("a card must carry MARKER near its top, or the next save would refuse to replace it")
    return SavedCard(path, output_file.write_output(path, text.encode("utf-8"), _ours, "card", "card.html"))
