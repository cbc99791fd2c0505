"""The Rust fixture crates: whole crates in tests/fixtures/rust/<name>/ (rc_kahn, arena, arc), and the
buggy ones, each rc_kahn with one change written down in tests/fixtures/rust/bugs.toml."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

CRATES = Path(__file__).resolve().parent / "fixtures" / "rust"
BUGS = tomllib.loads((CRATES / "bugs.toml").read_text(encoding="utf-8"))
BASE = "rc_kahn"


def make_crate(name: str, dest: Path) -> Path:
    """The crate `name` written into dest (made if missing): its Cargo.toml and src/."""
    source = CRATES / (BASE if name in BUGS else name)
    assert (source / "Cargo.toml").is_file(), f"no fixture crate {name!r}"
    dest.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(source / "Cargo.toml", dest / "Cargo.toml")
    if (dest / "src").exists():
        shutil.rmtree(dest / "src")
    shutil.copytree(source / "src", dest / "src")
    for change in BUGS.get(name, {}).get("changes", []):
        path = dest / change["file"]
        text = path.read_text(encoding="utf-8")
        assert text.count(change["find"]) == 1, f"bugs.toml: {name}'s change no longer fits {BASE}/{change['file']}"
        path.write_text(text.replace(change["find"], change["replace"]), encoding="utf-8")
    return dest


def crate_file(name: str, rel: str) -> str:
    """The text of one file of the crate `name` (e.g. "src/engine.rs"), its bug applied."""
    text = (CRATES / (BASE if name in BUGS else name) / rel).read_text(encoding="utf-8")
    for change in BUGS.get(name, {}).get("changes", []):
        if change["file"] == rel:
            text = text.replace(change["find"], change["replace"])
    return text
