"""The export bundle: one JSON file with the chained event log and the snapshots its checks ran on.

{"format": "ugrad-quest-bundle", "format_version": 1, "tool": {...}, "exported_at": ..., "trainer": ...,
 "summary": {...}, "suites": {quest id: digest of its hidden suite}, "head": last hash, "count": n,
 "events": [chain records], "snapshots": {digest: {path: text}}}
"""

from __future__ import annotations

import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

from ugrad_quest import json_text
from ugrad_quest.catalog import Quest
from ugrad_quest.errors import QuestError

FORMAT = "ugrad-quest-bundle"
FORMAT_VERSION = 1
MAX_BYTES = 2**30
"""Larger than any bundle a learner's history makes; a bigger file is not read into memory."""
MAX_DEPTH = 16
"""Deeper than anything export nests (an event's task list is at depth 5): deeper values are not a bundle's."""


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
    # Bytes of a snapshot that are not UTF-8 are lone surrogates, which a UTF-8 file holds only escaped.
    return json_text.escaped("\n".join(lines) + "\n")


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
    raw = _parse(path, _read(path))
    if isinstance(raw, (dict, list)) and _depth_over(raw, MAX_DEPTH):
        raise QuestError(f"{path} is not a ugrad-quest bundle: it nests values more than {MAX_DEPTH} levels deep, "
                         "deeper than any export writes.")
    if not isinstance(raw, dict) or raw.get("format") != FORMAT:
        raise QuestError(f"{path} is not a ugrad-quest bundle (make one with `quest export FILE`).")
    if raw.get("format_version") != FORMAT_VERSION:
        raise QuestError(f"{path} is a bundle of format version {_short(raw.get('format_version'))}; this version "
                         f"of ugrad-quest reads version {FORMAT_VERSION}.")
    records, snapshots = raw.get("events"), raw.get("snapshots", {})
    if not isinstance(records, list) or not isinstance(snapshots, dict):
        raise QuestError(f"{path} is a damaged bundle: its events or snapshots are missing.")
    return Bundle(raw, records, snapshots)


def _read(path: Path) -> str:
    try:
        # Non-blocking, then only a regular file: a FIFO would wait for a writer, /dev/zero never ends.
        with os.fdopen(os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)), "rb") as fh:
            if not stat.S_ISREG(os.fstat(fh.fileno()).st_mode):
                raise QuestError(f"{path} is not a regular file, so it is not a bundle.")
            data = fh.read(MAX_BYTES + 1)
    except FileNotFoundError:
        raise QuestError(f"{path} does not exist.") from None
    except IsADirectoryError:
        raise QuestError(f"{path} is a folder, not a bundle file.") from None
    except OSError as exc:
        raise QuestError(f"{path} cannot be read as a bundle: {exc.strerror or exc}.") from None
    if len(data) > MAX_BYTES:
        raise QuestError(f"{path} is larger than {MAX_BYTES // 2**30} GB, more than any bundle; it was not read.")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise QuestError(f"{path} is not a ugrad-quest bundle: it is not UTF-8 text ({exc.reason} at byte "
                         f"{exc.start}).") from None


def _parse(path: Path, text: str):
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise QuestError(f"{path} is not a ugrad-quest bundle: it is not valid JSON ({exc.msg} at line "
                         f"{exc.lineno}).") from None
    except RecursionError:
        raise QuestError(f"{path} is not a ugrad-quest bundle: its JSON nests too deeply to read.") from None
    except ValueError as exc:  # a number too long to convert (Python's 4300-digit limit)
        raise QuestError(f"{path} is not a ugrad-quest bundle: it holds a value that cannot be read "
                         f"({str(exc).split(';')[0]}).") from None


def _depth_over(value, limit: int) -> bool:
    """Whether JSON containers nest deeper than `limit`: checked level by level, without recursion, so
    nothing later (the chain's hashing, the report) meets a structure too deep for Python's stack."""
    level = [value]
    for _ in range(limit):
        level = [child for node in level for child in (node.values() if isinstance(node, dict) else node)
                 if isinstance(child, (dict, list))]
        if not level:
            return False
    return True


def _short(value) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."
