"""The learner's workspace: a folder with a marker file saying which package holds their code."""

from __future__ import annotations

import json
import os
from dataclasses import dataclass, field
from pathlib import Path

from ugrad_quest.errors import QuestError

MARKER = ".ugrad-quest.json"
MARKER_VERSION = 1
LANGUAGES = ("python", "rust")


@dataclass
class Workspace:
    root: Path
    package: str = "ugrad"
    quests: list[str] = field(default_factory=list)
    """Quests started here, in the order they were started; the last one is the active quest."""
    lang: str = "python"
    """The language of the learner's engine: python (a package) or rust (a Cargo crate at the root)."""

    @property
    def active_quest(self) -> str | None:
        return self.quests[-1] if self.quests else None

    @property
    def marker(self) -> Path:
        return self.root / MARKER

    def save(self) -> None:
        data = {"format_version": MARKER_VERSION, "package": self.package, "quests": self.quests, "lang": self.lang}
        import tempfile  # only when saving: reading commands need not load it

        # Written to a temp file and renamed, so an interrupted save never leaves half a marker.
        fd, tmp = tempfile.mkstemp(prefix=".ugrad-quest.", dir=self.root)
        try:
            with os.fdopen(fd, "w", encoding="utf-8") as fh:
                json.dump(data, fh, indent=2)
                fh.write("\n")
            os.chmod(tmp, 0o644)  # mkstemp makes it private; the marker is an ordinary project file
            os.replace(tmp, self.marker)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise


def load(root: Path) -> Workspace:
    marker = root / MARKER
    try:
        data = json.loads(marker.read_text(encoding="utf-8"))
        package = data.get("package", "ugrad")
        quests = data.get("quests", [])
        lang = data.get("lang", "python")  # markers written before Rust workspaces have none
        if not isinstance(package, str) or not isinstance(quests, list) or lang not in LANGUAGES:
            raise ValueError
    except (OSError, ValueError, AttributeError):
        raise QuestError(f"The workspace marker {marker} is damaged; delete it and run `quest start` again "
                         "(your code is not affected).") from None
    return Workspace(root=root, package=package, quests=[str(q) for q in quests], lang=lang)


def find(start: Path) -> Workspace | None:
    """The workspace containing `start` (the folder itself or any parent), if any."""
    start = start.resolve()
    for folder in (start, *start.parents):
        if (folder / MARKER).is_file():
            return load(folder)
    return None


def shown(path: Path | str) -> str:
    """A folder as the learner would type it: under their home as ~/..."""
    path = Path(path)
    try:
        return "~/" + path.relative_to(Path.home()).as_posix()
    except ValueError:
        return str(path)


def not_a_workspace(start: Path, recent: list[Path]) -> QuestError:
    """Outside a workspace, say where the learner's workspace is (or how to make one) rather than
    suggesting a command that would scaffold into whatever folder they stand in."""
    where = f"{start} is not inside a quest workspace (no {MARKER} here or above)"
    if recent:
        return QuestError(f"{where}: cd {shown(recent[0])} (your last workspace) and run it there, "
                          "or start a new one with `quest start value --dir FOLDER`.")
    return QuestError(f"{where}; start one with `quest start value --dir ~/micrograd-quest`, then cd there.")


def require(start: Path, recent: list[Path] | None = None) -> Workspace:
    """The workspace containing `start`; `recent` names workspaces the learner used before, for the error."""
    ws = find(start)
    if ws is None:
        raise not_a_workspace(start, recent or [])
    return ws
