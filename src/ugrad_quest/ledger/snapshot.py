"""A snapshot of the learner's package source as it was checked, content-addressed by its digest.

File names and contents are text; bytes that are not UTF-8 (a latin-1 file, a name like b"caf\\xe9.py")
are held as lone surrogates (surrogateescape), which encode() writes as JSON escapes, so they round-trip
exactly through the store, a bundle and a verifier's folder.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import os
import stat
from dataclasses import dataclass
from pathlib import Path

MAX_BYTES = 2_000_000
"""A package larger than this is not snapshotted (it is not hand-written autograd code)."""
NAME_BYTES = 255
"""The longest file or folder name the common file systems take."""

Files = dict[str, str]
"""Relative POSIX path ("ugrad/engine.py") -> the file's text."""

TOO_LARGE, NOT_FOUND = "too-large", "not-found"
SKIPPED = {
    TOO_LARGE: f"the package's .py files came to more than the {MAX_BYTES / 1e6:g} MB a snapshot holds",
    NOT_FOUND: "no .py file of the package was found where it is imported from",
}
"""Why a check kept no snapshot, by the code the store and the bundle record."""


@dataclass(frozen=True)
class Capture:
    """What capture() found: the files, or why there are none."""

    files: Files | None
    skipped: str = ""
    """A key of SKIPPED when files is None."""
    size: int = 0
    """Bytes of the package's .py files (for TOO_LARGE: at least this many)."""

    @property
    def why(self) -> str:
        """Why no snapshot was kept, for the learner (with the size when it was too large)."""
        if self.skipped == TOO_LARGE:
            return (f"the package's .py files come to {self.size / 1e6:,.1f} MB, more than the "
                    f"{MAX_BYTES / 1e6:g} MB a snapshot holds")
        return SKIPPED.get(self.skipped, "")


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


CRATE_MANIFEST = "Cargo.toml"
"""A snapshot holding this name is a Rust crate: Cargo.toml and its src/**/*.rs, as the workspace has them."""


def is_crate(files: Files) -> bool:
    return CRATE_MANIFEST in files


def _candidates(root: Path, package: str, lang: str) -> list[tuple[str, Path]] | None:
    """(name in the snapshot, file) of everything a snapshot of this workspace holds; None: no package."""
    if lang == "rust":
        src = root / "src"
        return [(CRATE_MANIFEST, root / CRATE_MANIFEST)] + \
            [("/".join(("src", *path.relative_to(src).parts)), path) for path in sorted(src.rglob("*.rs"))]
    base = _package_dir(root, package)
    if base is None:
        return None
    return [("/".join((package, *path.relative_to(base).parts)), path) for path in sorted(base.rglob("*.py"))]


def capture(root: Path, package: str, lang: str = "python") -> Capture:
    """Every .py file of the package (for a Rust crate: Cargo.toml and src/**/*.rs), unless there is
    none or they are too large together.

    Sizes come from stat before anything is read, so a huge (or sparse) file costs no memory; a file
    that grows meanwhile is read only up to what is left of the limit.
    """
    candidates = _candidates(root, package, lang)
    if candidates is None:
        return Capture(None, NOT_FOUND)
    found: list[tuple[str, Path]] = []
    size = 0
    for name, path in candidates:
        if name_problem(name):
            continue  # hidden, a cache, or a name no verifier could write back
        try:
            info = path.stat()
        except OSError:
            continue  # unreadable now means the check could not have imported it either
        if stat.S_ISREG(info.st_mode):
            size += info.st_size
            found.append((name, path))
    if size > MAX_BYTES:
        return Capture(None, TOO_LARGE, size)
    files: Files = {}
    left = MAX_BYTES
    for name, path in found:
        data = _read_at_most(path, left + 1)
        if data is None:
            continue
        left -= len(data)
        if left < 0:
            return Capture(None, TOO_LARGE, MAX_BYTES - left)
        files[name] = data.decode("utf-8", "surrogateescape")
    return Capture(files, "", MAX_BYTES - left) if files else Capture(None, NOT_FOUND)


def _read_at_most(path: Path, limit: int) -> bytes | None:
    try:
        # Non-blocking: a FIFO put in a file's place after the stat must not hang the check.
        fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0))
    except OSError:
        return None
    with os.fdopen(fd, "rb") as fh:
        try:
            return fh.read(limit) if stat.S_ISREG(os.fstat(fd).st_mode) else None
        except OSError:
            return None


def name_problem(name: str) -> str:
    """Why a snapshot cannot hold a file of this name ('' when it can). A capture takes only such names,
    and a verifier writes only such names: a plain relative path of .py source, with no part that is
    empty, '.', '..', hidden or a cache, that every file system can create, inside the folder it is given."""
    if "\0" in name:
        return "a NUL byte"
    if "\\" in name or ":" in name:
        return "a backslash or colon, which Windows reads as a path"
    parts = name.split("/")
    if any(p in ("", ".", "..") for p in parts):
        return "not a plain relative path"
    if any(p.startswith(".") or p == "__pycache__" for p in parts):
        return "a hidden or cache folder"
    rust = name == CRATE_MANIFEST or (parts[0] == "src" and name.endswith(".rs"))
    if not rust and (not name.endswith(".py") or len(parts) < 2):
        return "not a .py file of a package, nor a Rust crate's Cargo.toml or src/*.rs"
    try:
        longest = max(len(p.encode("utf-8", "surrogateescape")) for p in parts)
    except UnicodeEncodeError:
        return "characters no file name holds"
    if longest > NAME_BYTES:
        return f"a name longer than {NAME_BYTES} bytes"
    return ""


def problems(files: Files) -> list[str]:
    """What makes a set of files one no capture makes, each as 'name (why)'; [] when there is nothing."""
    found = []
    names = sorted(files)
    size = 0
    for name, text in files.items():
        # A file that is also a folder of another ("ugrad/x.py" and "ugrad/x.py/y.py") sorts before it.
        inside = names[min(bisect.bisect_left(names, name + "/"), len(names) - 1)]
        why = name_problem(name) or ("both a file and a folder" if inside.startswith(name + "/") else "")
        try:
            size += len(text.encode("utf-8", "surrogateescape"))
        except UnicodeEncodeError:
            why = why or "text no file holds"
        if why:
            found.append(f"{_short(name)} ({why})")
    if size > MAX_BYTES and not found:
        found.append(f"{size / 1e6:,.1f} MB of source, more than the {MAX_BYTES / 1e6:g} MB a snapshot holds")
    return found


def _short(name: str) -> str:
    return name if len(name) <= 60 else name[:57] + "…"


def write(files: Files, into: Path) -> None:
    """Recreate the snapshot's files under `into` (the caller has checked problems() is empty).

    Raises OSError when this system cannot: two names landing on one file (a case-insensitive disk) are
    refused rather than one written over the other.
    """
    for name, text in files.items():
        target = into.joinpath(*name.split("/"))
        target.parent.mkdir(parents=True, exist_ok=True)
        with open(target, "xb") as fh:
            fh.write(text.encode("utf-8", "surrogateescape"))
