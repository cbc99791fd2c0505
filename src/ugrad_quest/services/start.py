"""`quest start`: scaffold a quest's starter files into a workspace and record the start."""

from __future__ import annotations

import importlib.util
import keyword
import re
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
    declared: list[str] = field(default_factory=list)
    """Rust: modules whose `pub mod` line was added to the learner's src/lib.rs."""
    lang: str = "python"


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


def _fit_for_a_workspace(folder: Path, package: str, lang: str) -> bool:
    """Whether `quest start` without --dir may make this folder a workspace: an empty one (dotfiles
    such as .git aside) or one that holds the package to check. Anything else is somebody's project,
    e.g. the tool's own clone, where scaffolding ugrad/ would only surprise."""
    try:
        entries = [e.name for e in folder.iterdir() if not e.name.startswith(".")]
    except OSError:
        return False
    if lang != "python":
        return not entries or "Cargo.toml" in entries
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
                force: bool = False, lang: str | None = None) -> StartResult:
    if lang is not None and lang not in ws_mod.LANGUAGES:
        raise QuestError(f"--lang {lang!r} is not a language the quests check; choose one of "
                         f"{', '.join(ws_mod.LANGUAGES)}.")
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
        if existing is None and not _fit_for_a_workspace(root, package or STARTER_PACKAGE, lang or "python"):
            raise _needs_a_folder(ctx, quest.id, root)
    chosen_lang = lang or (existing.lang if existing else "python")
    if existing and existing.lang != chosen_lang:
        raise QuestError(f"The workspace {root} holds a {existing.lang} engine; start {quest.id!r} there without "
                         f"--lang, or give a {chosen_lang} engine a folder of its own with --dir.")
    if chosen_lang != "python":
        if package is not None:
            raise QuestError(f"--package names a Python package; a {chosen_lang} workspace checks the crate in "
                             "its own folder (Cargo.toml, src/).")
        if not quest.starter_for(chosen_lang).is_dir():
            raise QuestError(f"Quest {quest.id!r} cannot be done in {chosen_lang} yet (it has no {chosen_lang} "
                             "starter).")
    if package is not None:
        _valid_package(package)
        if existing and existing.package != package:
            raise QuestError(f"The workspace {root} already checks the package {existing.package!r}; "
                             f"start {quest.id!r} without --package or in another folder.")
    chosen = existing.package if existing else (package or STARTER_PACKAGE)

    # Opened before anything is written, so a damaged database stops the command with nothing changed.
    store = ctx.open_store()
    try:
        if chosen_lang == "python":
            return _scaffold(ctx, store, quest, root, existing, chosen)
        return _scaffold_crate(ctx, store, quest, root, existing, chosen_lang)
    finally:
        store.close()


def _scaffold(ctx: Context, store, quest, root: Path, existing, chosen: str) -> StartResult:
    root = _make_root(root)
    result = _new_result(ctx, quest, root, chosen)
    in_workspace = (root / chosen).is_dir() or (root / f"{chosen}.py").is_file()
    if not in_workspace and _installed(chosen, root):
        result.package_source = INSTALLED  # check the installed package; scaffold nothing over it
    else:
        if in_workspace:
            result.package_source = IN_WORKSPACE
        _copy_new(starter_files(quest.starter_dir, chosen), root, result)

    return _record_start(ctx, store, quest, result, existing or ws_mod.Workspace(root=root, package=chosen))


def _new_result(ctx: Context, quest, root: Path, package: str) -> StartResult:
    result = StartResult(quest_id=quest.id, title=quest.title, workspace=root, package=package,
                         package_source=SCAFFOLDED, first_task=quest.tasks[0])
    cwd = ctx.cwd.resolve()
    if cwd != root and root not in cwd.parents:
        result.move_to = root
    return result


def _make_root(root: Path) -> Path:
    try:
        root.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise QuestError(f"Cannot create the folder {root}: {exc.strerror}.") from None
    return root.resolve()


def _copy_new(pairs, root: Path, result: StartResult) -> None:
    """Copy each starter file that is not there yet; a file the learner has is never touched."""
    for src, rel in pairs:
        dest = root / rel
        if dest.exists():
            result.kept.append(rel)
            continue
        dest.parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(src, dest)
        result.created.append(rel)


def _scaffold_crate(ctx: Context, store, quest, root: Path, existing, lang: str) -> StartResult:
    """A Cargo crate: the quest's files under src/ (and, for the first quest, Cargo.toml and lib.rs);
    a later quest's module is declared in the learner's lib.rs by adding its `pub mod` line."""
    root = _make_root(root)
    result = _new_result(ctx, quest, root, STARTER_PACKAGE)
    result.lang = lang
    result.first_task = quest.tasks[0].for_lang(lang)
    if (root / "Cargo.toml").is_file():
        result.package_source = IN_WORKSPACE
    pairs = [(src, src.relative_to(quest.starter_for(lang))) for src in sorted(quest.starter_for(lang).rglob("*"))
             if src.is_file()]
    _copy_new(pairs, root, result)
    lib = root / "src" / "lib.rs"
    modules = [rel.stem for _, rel in pairs if rel.parent == Path("src") and rel.suffix == ".rs" and rel.stem != "lib"]
    if lib.is_file():
        text = lib.read_text(encoding="utf-8", errors="replace")
        missing = [m for m in modules if not re.search(rf"^\s*pub\s+mod\s+{m}\s*;", text, re.MULTILINE)]
        if missing:
            with open(lib, "a", encoding="utf-8") as fh:
                fh.write(("" if text.endswith("\n") or not text else "\n") + "".join(f"pub mod {m};\n" for m in missing))
            result.declared = missing
    ws = existing or ws_mod.Workspace(root=root, package=STARTER_PACKAGE, lang=lang)
    return _record_start(ctx, store, quest, result, ws)


def _record_start(ctx: Context, store, quest, result: StartResult, ws) -> StartResult:
    result.already_started = quest.id in ws.quests
    if quest.id in ws.quests:
        ws.quests.remove(quest.id)
    ws.quests.append(quest.id)  # the quest started last is the one `quest check` checks
    ws.save()

    from ugrad_quest.store import progress as rows

    moment, today = ctx.now()
    with store.session() as session:
        rows.record_start(session, quest.id, str(result.workspace), ws.package, moment, today)
    return result
