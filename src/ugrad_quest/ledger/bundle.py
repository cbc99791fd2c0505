"""The export bundle: one JSON file with the chained event log and the snapshots its checks ran on.

{"format": "ugrad-quest-bundle", "format_version": 1, "tool": {...}, "exported_at": ..., "trainer": ...,
 "summary": {...}, "suites": {quest id: digest of its hidden suite}, "head": last hash, "count": n,
 "events": [chain records], "snapshots": {digest: {path: text}}}
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from pathlib import Path

from ugrad_quest.catalog import Quest
from ugrad_quest.errors import QuestError

FORMAT = "ugrad-quest-bundle"
FORMAT_VERSION = 1


def suite_digest(quest: Quest) -> str:
    """What the hidden suite and quest.yaml hold, so a verifier can tell it re-ran the same tests."""
    h = hashlib.sha256()
    root = quest.hidden_dir.parent
    for path in sorted([root / "quest.yaml", *quest.hidden_dir.rglob("*")]):
        if path.is_file() and "__pycache__" not in path.parts:
            h.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return h.hexdigest()


def dumps(bundle: dict) -> str:
    """The file's text: "format" first, so export can tell its own file from a stranger's, and one
    event or snapshot per line, so a person can read it and two exports diff line by line."""

    def one(value) -> str:
        # Compact dumps use the C encoder; an indented dumps of 100,000 events took seconds.
        return json.dumps(value, ensure_ascii=False)

    lines = ["{"]
    for key, value in bundle.items():
        if key in ("events", "snapshots"):
            continue
        lines.append(f" {one(key)}: {one(value)},")
    lines.append(' "events": [')
    lines.append(",\n".join(f"  {one(record)}" for record in bundle["events"]))
    lines.append(" ],")
    lines.append(' "snapshots": {')
    lines.append(",\n".join(f"  {one(digest)}: {one(files)}" for digest, files in bundle["snapshots"].items()))
    lines.append(" }")
    lines.append("}")
    return "\n".join(lines) + "\n"


@dataclass
class Bundle:
    raw: dict
    records: list
    snapshots: dict

    @property
    def trainer(self) -> str:
        return str(self.raw.get("trainer", ""))

    @property
    def head(self) -> str | None:
        head = self.raw.get("head")
        return head if isinstance(head, str) else None

    @property
    def count(self) -> int | None:
        count = self.raw.get("count")
        return count if isinstance(count, int) else None


def load(path: Path) -> Bundle:
    """Read a bundle; anything that is not one at all is a usage error (exit 2), not a finding."""
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise QuestError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise QuestError(f"{path} is a folder, not a bundle file.") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestError(f"{path} cannot be read as a bundle: {getattr(exc, 'strerror', None) or exc}.") from None
    try:
        raw = json.loads(text)
    except ValueError as exc:
        raise QuestError(f"{path} is not a ugrad-quest bundle: it is not valid JSON ({exc.msg} at line {exc.lineno}).") from None
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise QuestError(f"{path} is not a ugrad-quest bundle (make one with `quest export FILE`).")
    if raw.get("format_version") != FORMAT_VERSION:
        raise QuestError(f"{path} is a bundle of format version {raw.get('format_version')!r}; this version of "
                         f"ugrad-quest reads version {FORMAT_VERSION}.")
    records, snapshots = raw.get("events"), raw.get("snapshots", {})
    if not isinstance(records, list) or not isinstance(snapshots, dict):
        raise QuestError(f"{path} is a damaged bundle: its events or snapshots are missing.")
    return Bundle(raw, records, snapshots)
