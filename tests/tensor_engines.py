"""The tensor quest's fixture engines: whole workspaces in tests/fixtures/engines/tensor/<name>/
(closures, tape), and the buggy ones, each a correct one with one change written down in
tests/fixtures/engines/tensor/bugs.toml."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

TENSORS = Path(__file__).resolve().parent / "fixtures" / "engines" / "tensor"
BUGS = tomllib.loads((TENSORS / "bugs.toml").read_text(encoding="utf-8"))
CORRECT = tuple(sorted(p.name for p in TENSORS.iterdir() if (p / "ugrad" / "tensor.py").is_file()))
MODULE = "ugrad/tensor.py"


def tensor_source(name: str) -> str:
    """ugrad/tensor.py of the engine `name`, its bug applied."""
    bug = BUGS.get(name, {})
    base = bug.get("base", "tape") if bug else name
    text = (TENSORS / base / MODULE).read_text(encoding="utf-8")
    for change in bug.get("changes", []):
        assert text.count(change["find"]) == 1, f"bugs.toml: {name}'s change no longer fits {base}/{MODULE}"
        text = text.replace(change["find"], change["replace"])
    return text


def tensor_workspace(name: str, dest: Path) -> Path:
    """The workspace of the engine `name`: a correct one as it is, a buggy one written into dest/name."""
    if name not in BUGS:
        assert name in CORRECT, f"no tensor fixture {name!r}"
        return TENSORS / name
    base = BUGS[name].get("base", "tape")
    target = Path(dest) / name
    shutil.copytree(TENSORS / base, target, dirs_exist_ok=True)
    (target / MODULE).write_text(tensor_source(name), encoding="utf-8")
    return target
