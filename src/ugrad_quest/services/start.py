"""`quest start`: scaffold a quest's starter files into a workspace and record the start."""

from __future__ import annotations

import importlib.util
import keyword
import shutil
from dataclasses import dataclass, field
from pathlib import Path

from ugrad_quest import workspace as ws_mod
from ugrad_quest.catalog import Task
from ugrad_quest.errors import QuestError
from ugrad_quest.services.context import Context
from ugrad_quest.store.quick_reads import read_progress

STARTER_PACKAGE = "ugrad"  # the name the starter folders use; renamed to the learner's --package

SCAFFOLDED, IN_WORKSPACE, INSTALLED = "scaffolded", "in workspace", "installed"


@dataclass
class StartResult:
    quest_id: str
    title: str
    workspace: Path
    package: str
    package_source: str
    """scaffolded | in workspace | installed: where the code that `quest check` will test lives."""
    first_task: Task
    created: list[Path] = field(default_factory=list)
    kept: list[Path] = field(default_factory=list)
    """Starter files that already existed and were left exactly as they were."""
    already_started: bool = False
    move_to: Path | None = None
    """The workspace, when the learner is not in it: the first thing to do next is to cd there."""


def _valid_package(name: str) -> str:
    if not name.isidentifier() or keyword.iskeyword(name):
        raise QuestError(f"--package {name!r} is not a valid Python package name.")
    return name


def _installed(package: str, root: Path) -> bool:
    # find_spec on a top-level name only searches sys.path; it runs none of the package's code.
    spec = importlib.util.find_spec(package)
    if spec is None:
        return False
    origin = Path(spec.origin or next(iter(spec.submodule_search_locations or []), "")).resolve()
    return root.resolve() not in origin.parents


def _fit_for_a_workspace(folder: Path, package: str) -> bool:
    """Whether `quest start` without --dir may make this folder a workspace: an empty one (dotfiles
    such as .git aside) or one that holds the package to check. Anything else is somebody's project,
    e.g. the tool's own clone, where scaffolding ugrad/ would only surprise."""
    try:
        entries = [e.name for e in folder.iterdir() if not e.name.startswith(".")]
    except OSError:
        return False
    return not entries or package in entries or f"{package}.py" in entries


def _needs_a_folder(ctx: Context, quest_id: str, folder: Path) -> QuestError:
    from ugrad_quest.store.quick_reads import recent_workspaces

    recent = recent_workspaces(ctx.db_path)
    where = f" or cd {ws_mod.shown(recent[0])} (your last workspace)" if recent else ""
    return QuestError(f"{folder} is not a quest workspace and holds other files; give the quest a folder of "
                      f"its own with `quest start {quest_id} --dir ~/micrograd-quest`{where}.")


def starter_files(starter: Path, package: str) -> list[tuple[Path, Path]]:
    """(source, path relative to the workspace) for every starter file."""
    pairs = []
    for src in sorted(p for p in starter.rglob("*") if p.is_file()):
        rel = src.relative_to(starter)
        if "__pycache__" in rel.parts or rel.suffix == ".pyc":
            continue
        if rel.parts[0] == STARTER_PACKAGE:
            rel = Path(package, *rel.parts[1:])
        pairs.append((src, rel))
    return pairs


def start_quest(ctx: Context, quest_id: str, directory: Path | None = None, package: str | None = None,
                force: bool = False) -> StartResult:
    quest = ctx.catalog.get(quest_id)
    progress = read_progress(ctx.db_path)
    missing = [r for r in quest.requires if r not in progress.completed]
    if missing and not force:
        raise QuestError(f"Quest {quest.id!r} is locked: complete {', '.join(repr(m) for m in missing)} first "
                         "(or start it with --force to check an existing implementation).")

    if directory is not None:
        root = directory.expanduser()
        if root.exists() and not root.is_dir():
            raise QuestError(f"--dir {root} is a file, not a folder.")
        existing = ws_mod.load(root) if (root / ws_mod.MARKER).is_file() else None
    else:
        existing = ws_mod.find(ctx.cwd)
        root = existing.root if existing else ctx.cwd
        if existing is None and not _fit_for_a_workspace(root, package or STARTER_PACKAGE):
            raise _needs_a_folder(ctx, quest.id, root)
    if package is not None:
        _valid_package(package)
        if existing and existing.package != package:
            raise QuestError(f"The workspace {root} already checks the package {existing.package!r}; "
                             f"start {quest.id!r} without --package or in another folder.")
    chosen = existing.package if existing else (package or STARTER_PACKAGE)

    # Opened before anything is written, so a damaged database stops the command with nothing changed.
    store = ctx.open_store()
    try:
        return _scaffold(ctx, store, quest, root, existing, chosen)
    finally:
        store.close()


def _scaffold(ctx: Context, store, quest, root: Path, existing, chosen: str) -> StartResult:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QuestError(f"Cannot create the folder {root}: {exc.strerror}.") from None
    root = root.resolve()

    result = StartResult(quest_id=quest.id, title=quest.title, workspace=root, package=chosen,
                         package_source=SCAFFOLDED, first_task=quest.tasks[0])
    cwd = ctx.cwd.resolve()
    if cwd != root and root not in cwd.parents:
        result.move_to = root
    in_workspace = (root / chosen).is_dir() or (root / f"{chosen}.py").is_file()
    if not in_workspace and _installed(chosen, root):
        result.package_source = INSTALLED  # check the installed package; scaffold nothing over it
    else:
        if in_workspace:
            result.package_source = IN_WORKSPACE
        for src, rel in starter_files(quest.starter_dir, chosen):
            dest = root / rel
            if dest.exists():
                result.kept.append(rel)
                continue
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            result.created.append(rel)

    ws = existing or ws_mod.Workspace(root=root, package=chosen)
    result.already_started = quest.id in ws.quests
    if quest.id in ws.quests:
        ws.quests.remove(quest.id)
    ws.quests.append(quest.id)  # the quest started last is the one `quest check` checks
    ws.save()

    from ugrad_quest.store import progress as rows

    moment, today = ctx.now()
    with store.session() as session:
        rows.record_start(session, quest.id, str(root), chosen, moment, today)
    return result
