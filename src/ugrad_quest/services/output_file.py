"""Files the tool writes where the learner asks (a bundle, a card): atomically, never over a stranger's file.

An existing file is replaced only when `owned` recognises the head of it as one of ours (an earlier
export or card); anything else stops the command with the file untouched. The new file is written
beside the target and renamed over it, so a crash or a full disk leaves the old file, never half a new one.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from ugrad_quest.errors import QuestError

HEAD_BYTES = 4096
"""How much of an existing file `owned` sees: our marks are near the top, so a large file is not read."""


def check_target(path: Path, owned: Callable[[bytes], bool], what: str, example: str) -> None:
    """Raise QuestError unless `path` can be written: its folder exists and it is new or `owned` says it is ours."""
    folder = path.parent
    if not folder.is_dir():
        state = "is not a folder" if folder.exists() else "does not exist"
        raise QuestError(f"Cannot write {path}: the folder {folder} {state}.")
    if path.is_dir():
        raise QuestError(f"{path} is a folder; give a file path such as {path / example}.")
    if path.exists():
        try:
            with path.open("rb") as fh:
                ours = owned(fh.read(HEAD_BYTES))
        except OSError as exc:
            raise QuestError(f"Cannot read {path} to see whether it is a ugrad-quest {what}: "
                             f"{exc.strerror or exc}.") from None
        if not ours:
            raise QuestError(f"{path} exists and is not a ugrad-quest {what}; choose another path or delete it.")


def _new_file_mode() -> int:
    # mkstemp makes the file 0600; what we write is meant to be shared, so give it the mode `open` would.
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def write_output(path: Path, data: bytes, owned: Callable[[bytes], bool], what: str, example: str) -> int:
    """Write `data` to `path` atomically, replacing only a file `owned` recognises; the bytes written."""
    check_target(path, owned, what, example)
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise QuestError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    try:
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(tmp, _new_file_mode())
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise QuestError(f"Cannot write {path}: {exc.strerror or exc}.") from None
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return len(data)
