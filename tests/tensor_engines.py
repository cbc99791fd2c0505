"""The tensor quest's fixture engines: whole workspaces in tests/fixtures/engines/tensor/<name>/
(closures, tape: each ugrad/tensor.py, beside optimize/plain's scalar engine), and the buggy ones, each a correct one with one change written down in
tests/fixtures/engines/tensor/bugs.toml."""

from __future__ import annotations

import shutil
import tomllib
from pathlib import Path

TENSORS = Path(__file__).resolve().parent / "fixtures" / "engines" / "tensor"
BUGS = tomllib.loads((TENSORS / "bugs.toml").read_text(encoding="utf-8"))
CORRECT = tuple(sorted(p.name for p in TENSORS.iterdir() if (p / "ugrad" / "tensor.py").is_file()))
MODULE = "ugrad/tensor.py"
SCALAR = TENSORS.parent / "optimize" / "plain"
"""The learner's scalar engine and MLP (from the value and mlp quests) that task batched times against."""
SCALAR_FILES = ("engine.py", "nn.py")


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
    """The workspace of the engine `name`. A whole fixture is used as it is; one holding only its
    ugrad/tensor.py (closures, tape, the buggy ones) is written into dest/name beside SCALAR's engine.py
    and nn.py."""
    bug = BUGS.get(name, {})
    base = bug.get("base", "tape") if bug else name
    assert base in CORRECT, f"no tensor fixture {name!r}"
    if not bug and all((TENSORS / name / "ugrad" / f).is_file() for f in SCALAR_FILES):
        return TENSORS / name
    target = Path(dest) / name
    (target / "ugrad").mkdir(parents=True, exist_ok=True)
    for f in SCALAR_FILES:
        shutil.copyfile(SCALAR / "ugrad" / f, target / "ugrad" / f)
    shutil.copytree(TENSORS / base / "ugrad", target / "ugrad", dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__"))
    (target / MODULE).write_text(tensor_source(name), encoding="utf-8")
    return target
