"""A snapshot of the learner's package source as it was checked, content-addressed by its digest."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path, PurePosixPath

MAX_BYTES = 2_000_000
"""A package larger than this is not snapshotted (it is not hand-written autograd code)."""

Files = dict[str, str]
"""Relative POSIX path ("ugrad/engine.py") -> the file's text."""


def encode(files: Files) -> bytes:
    """The canonical bytes of a snapshot: its digest and its stored form both come from these."""
    # ensure_ascii keeps bytes that are not UTF-8 (decoded with surrogateescape) round-tripping exactly.
    return json.dumps(files, sort_keys=True, separators=(",", ":"), ensure_ascii=True).encode("ascii")


def decode(data: bytes) -> Files:
    return json.loads(data)


def digest(files: Files) -> str:
    return digest_of_encoded(encode(files))


def digest_of_encoded(encoded: bytes) -> str:
    return hashlib.sha256(encoded).hexdigest()


def _package_dir(root: Path, package: str) -> Path | None:
    """The package's folder: in the workspace, else where the checks import it from (an installed one)."""
    if (root / package).is_dir():
        return root / package
    import importlib.util

    try:
        # A top-level name is only located, never imported: learner code does not run in this process.
        spec = importlib.util.find_spec(package)
    except (ImportError, ValueError):
        return None
    locations = list(spec.submodule_search_locations or []) if spec else []
    return Path(locations[0]) if len(locations) == 1 else None


def capture(root: Path, package: str) -> Files | None:
    """Every .py file of the package, or None if there is none or it is too large."""
    base = _package_dir(root, package)
    if base is None:
        return None
    files: Files = {}
    size = 0
    for path in sorted(base.rglob("*.py")):
        parts = (package, *path.relative_to(base).parts)
        if any(p.startswith(".") or p == "__pycache__" for p in parts) or not path.is_file():
            continue
        try:
            data = path.read_bytes()
        except OSError:
            continue  # unreadable now means the check could not have imported it either
        size += len(data)
        if size > MAX_BYTES:
            return None
        files["/".join(parts)] = data.decode("utf-8", "surrogateescape")
    return files or None


def unsafe_paths(files: Files) -> list[str]:
    """Paths that would land outside the folder they are written into."""
    bad = []
    for name in files:
        path = PurePosixPath(name)
        if not name or path.is_absolute() or ".." in path.parts or "\\" in name or ":" in name:
            bad.append(name)
    return bad


def write(files: Files, into: Path) -> None:
    """Recreate the snapshot's files under `into` (the caller has rejected unsafe paths)."""
    for name, text in files.items():
        target = into / PurePosixPath(name)
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(text.encode("utf-8", "surrogateescape"))
