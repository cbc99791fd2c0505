"""Load quest.yaml files into models, reporting a broken file by path and field."""

from __future__ import annotations

import json
import math
import os
import re
import sys
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from ugrad_quest.catalog.models import FORMAT_VERSION, TIERS, BadgeSpec, Question, Quest, Task, TaskText
from ugrad_quest.errors import QuestError

_ID = re.compile(r"^[a-z0-9][a-z0-9-]*$")
# YAML 1.1 (PyYAML) reads 1e-3 and 5.0e5 as text: a float needs a dot and a signed exponent.
_EXPONENT_AS_TEXT = re.compile(r"^([-+]?(?:\d+\.?\d*|\.\d+))[eE]([-+]?\d+)$")
_LETTERS = "abcdefghij"
# Sane ranges for the numbers a quest gives. Beyond them nothing is meant, and something breaks:
# a timeout of 1e300 overflows the judge's ceiling, XP past 2**63 does not fit an SQLite integer.
TIMEOUT_RANGE = (0.1, 3600.0)
"""CPU seconds one task's tests may take: from a tenth of a second to an hour."""
MAX_XP = 100_000
TOLERANCE_RANGE = (1e-12, 1e9)
"""A numeric answer's tolerance when it is not 0: below 1e-12 is float noise (quest quiz allows that much anyway)."""


class QuestFileError(QuestError):
    def __init__(self, path: Path, where: str, problem: str):
        self.path, self.where, self.problem = path, where, problem
        location = f"{where} " if where else ""
        super().__init__(f"{path}: {location}{problem}")


class _Fields:
    """Pulls typed fields out of one YAML mapping, naming the field when one is wrong."""

    def __init__(self, path: Path, prefix: str, raw: Any, known: set[str]):
        self.path, self.prefix = path, prefix
        if not isinstance(raw, dict):
            self.fail("", f"must be a mapping, got {type(raw).__name__}")
        unknown = sorted(set(map(str, raw)) - known)
        if unknown:
            self.fail(unknown[0], f"is not a known field (known: {', '.join(sorted(known))})")
        self.raw = raw

    def where(self, name: str) -> str:
        return f"{self.prefix}{name}" if not self.prefix or not name else f"{self.prefix}.{name}"

    def fail(self, name: str, problem: str):
        raise QuestFileError(self.path, self.where(name) if name else self.prefix, problem)

    def get(self, name: str, kind: type | tuple[type, ...], default: Any = ...) -> Any:
        if name not in self.raw:
            if default is ...:
                self.fail(name, "is missing")
            return default
        value = self.raw[name]
        # bool is an int in Python; a YAML `true` is never a valid number here.
        if not isinstance(value, kind) or (isinstance(value, bool) and bool not in _as_tuple(kind)):
            self.fail(name, f"must be {_describe(kind)}, got {value!r}{_number_hint(kind, value)}")
        return value

    def text(self, name: str, default: Any = ...) -> str:
        value = self.get(name, str, default)
        if name in self.raw and not value.strip():
            self.fail(name, "must not be empty")
        return value.strip() if isinstance(value, str) else value

    def ident(self, name: str) -> str:
        value = self.text(name)
        if not _ID.match(value):
            self.fail(name, f"must use lowercase letters, digits and dashes, got {value!r}")
        return value

    def number(self, name: str, default: Any = ...) -> int | float:
        value = self.get(name, (int, float), default)
        if isinstance(value, float) and not math.isfinite(value):
            self.fail(name, f"must be a finite number, got {value!r}")
        if isinstance(value, int) and abs(value) > sys.float_info.max:  # YAML integers have no limit
            self.fail(name, f"is too large, got a {len(str(abs(value)))}-digit number")
        return value

    def count(self, name: str, default: Any = ...) -> int | float:
        value = self.number(name, default)
        if value < 0:
            self.fail(name, f"must be zero or more, got {value!r}")
        return value

    def bounded(self, name: str, default: Any, low: float, high: float, unit: str = "") -> int | float:
        value = self.number(name, default)
        if not low <= value <= high:
            self.fail(name, f"must be between {low:g} and {high:g}{unit}, got {value!r}")
        return value

    def strings(self, name: str, default: Any = ...) -> tuple[str, ...]:
        values = self.get(name, list, default)
        for i, value in enumerate(values):
            if not isinstance(value, str) or not value.strip():
                self.fail(f"{name}[{i}]", f"must be non-empty text, got {value!r}")
        return tuple(v.strip() for v in values)


def _as_tuple(kind):
    return kind if isinstance(kind, tuple) else (kind,)


def _number_hint(kind, value: Any) -> str:
    match = _EXPONENT_AS_TEXT.match(value) if isinstance(value, str) and float in _as_tuple(kind) else None
    if not match:
        return ""
    mantissa, exponent = match.groups()
    mantissa += "" if "." in mantissa else ".0"
    exponent = exponent if exponent[0] in "+-" else f"+{exponent}"
    return f" (YAML reads it as text; write {mantissa}e{exponent} or a plain decimal)"


def _describe(kind) -> str:
    if set(_as_tuple(kind)) == {int, float}:
        return "a number"
    names = {str: "text", int: "a whole number", float: "a number", list: "a list", bool: "true or false", dict: "a mapping"}
    return " or ".join(names.get(k, k.__name__) for k in _as_tuple(kind))


_QUEST_PARTS = ("hidden", "starter")
"""What a quest folder holds beside its quest.yaml."""
_TASK_FIELDS = {"id", "title", "concept", "hints", "xp", "required", "timeout", "needs", "badge", "rust"}
_TEXT_FIELDS = {"concept", "hints"}
LANGS = ("python", "rust")
_QUEST_FIELDS = {"format_version", "id", "title", "summary", "xp", "requires", "tasks", "badge", "quiz",
                 "engine_stack_kib", "retired"}
_BADGE_FIELDS = {"name", "tier"}
_QUESTION_FIELDS = {"id", "question", "choices", "answer", "tolerance", "explanation", "xp", "lang"}


def _whole(f: _Fields, name: str, default: Any = ...) -> int:
    value = f.bounded(name, default, 0, MAX_XP)
    if not isinstance(value, int):
        f.fail(name, f"must be a whole number, got {value!r}")
    return value


def _badge(path: Path, where: str, raw: Any) -> BadgeSpec | None:
    if raw is None:
        return None
    f = _Fields(path, where, raw, _BADGE_FIELDS)
    tier = f.text("tier")
    if tier not in TIERS:
        f.fail("tier", f"must be one of {', '.join(TIERS)}, got {tier!r}")
    return BadgeSpec(name=f.text("name"), tier=tier)


def _question(path: Path, index: int, raw: Any) -> Question:
    f = _Fields(path, f"quiz[{index}]", raw, _QUESTION_FIELDS)
    choices = f.strings("choices", [])
    if len(choices) == 1:
        f.fail("choices", "must offer at least two choices")
    if len(choices) > len(_LETTERS):
        f.fail("choices", f"must offer at most {len(_LETTERS)} choices, got {len(choices)}")
    for i, choice in enumerate(choices):
        if choice in choices[:i]:
            f.fail(f"choices[{i}]", f"repeats choice {_LETTERS[choices.index(choice)]}) {choice!r}")
    if choices:
        letters = tuple(_LETTERS[:len(choices)])
        if "answer" not in f.raw:
            f.fail("answer", "is missing")
        answer = f.raw["answer"]
        answer = answer.strip().lower() if isinstance(answer, str) else answer
        if answer not in letters:
            f.fail("answer", f"must be the letter of one of the choices ({', '.join(letters)}), got {answer!r}")
        if "tolerance" in f.raw:
            f.fail("tolerance", "only applies to a numeric question (one without choices)")
        tolerance = 0.0
    else:
        answer = float(f.number("answer"))
        tolerance = float(f.count("tolerance", 0))
        if tolerance and not TOLERANCE_RANGE[0] <= tolerance <= TOLERANCE_RANGE[1]:
            f.fail("tolerance", f"must be 0 or between {TOLERANCE_RANGE[0]:g} and {TOLERANCE_RANGE[1]:g}, "
                                f"got {tolerance!r}")
    lang = f.text("lang", "")
    if lang and lang not in LANGS:
        f.fail("lang", f"must be one of {', '.join(LANGS)}, got {lang!r}")
    return Question(id=f.ident("id"), prompt=f.text("question"), answer=answer, choices=choices,
                    tolerance=tolerance, explanation=f.text("explanation", ""), xp=_whole(f, "xp", 10), lang=lang)


def _task(path: Path, index: int, raw: Any, where: str = "tasks") -> Task:
    f = _Fields(path, f"{where}[{index}]", raw, _TASK_FIELDS)
    xp = _whole(f, "xp")
    return Task(
        id=f.ident("id"),
        title=f.text("title"),
        concept=f.text("concept"),
        hints=f.strings("hints", []),
        xp=xp,
        required=f.get("required", bool, True),
        timeout=float(f.bounded("timeout", 10, *TIMEOUT_RANGE, " seconds")),
        needs=f.strings("needs", []),
        badge=_badge(path, f"{where}[{index}].badge", f.get("badge", dict, None)),
        rust=_text(path, f"{where}[{index}].rust", f.get("rust", dict, None)),
    )


def _text(path: Path, where: str, raw: Any) -> TaskText | None:
    if raw is None:
        return None
    f = _Fields(path, where, raw, _TEXT_FIELDS)
    return TaskText(concept=f.text("concept", ""), hints=f.strings("hints", []))


def _parsed(path: Path, text: str) -> Any:
    """The YAML `text` of `path`, parsed: from the cache of parsed quest files when it holds this very
    text (named by its hash), else by PyYAML, whose import and parse took a fifth of `quest profile`."""
    from ugrad_quest.paths import cache_dir

    # Named by a checksum, and holding the text it was parsed from: a hit is this very text (hashlib's
    # import alone would cost more than the check).
    cached = cache_dir() / "quest-yaml" / f"{zlib.crc32(text.encode()):08x}-{len(text)}.json"
    try:
        entry = json.loads(cached.read_text(encoding="utf-8"))
        if entry["text"] == text:
            return entry["raw"]
    except (OSError, ValueError, KeyError, TypeError):
        pass
    import yaml

    try:
        # libyaml's loader when PyYAML was built with it: the same safe subset, several times faster.
        raw = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        at = f"line {mark.line + 1}" if mark else ""
        problem = getattr(exc, "problem", None) or str(exc).splitlines()[0]
        raise QuestFileError(path, at, f"is not valid YAML ({problem})") from None
    try:
        encoded = json.dumps({"text": text, "raw": raw})
        if json.loads(encoded)["raw"] == raw:  # only what JSON gives back as it was (no dates, no odd keys)
            cached.parent.mkdir(parents=True, exist_ok=True)
            partial = cached.with_suffix(f".{os.getpid()}.tmp")
            partial.write_text(encoded, encoding="utf-8")
            os.replace(partial, cached)
    except (OSError, TypeError, ValueError):
        pass  # a read-only or full cache folder: parse again next time
    return raw


def load_quest(quest_dir: Path) -> Quest:
    path = quest_dir / "quest.yaml"
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        parts = " and ".join(f"{p}/" for p in _QUEST_PARTS if (quest_dir / p).exists())
        holding = (f", but the folder {quest_dir.name!r} holds a quest's {parts}; write its quest.yaml or move the "
                   f"folder out of {quest_dir.parent}") if parts else ""
        raise QuestFileError(path, "", f"does not exist{holding}") from None
    except (OSError, UnicodeDecodeError) as exc:
        raise QuestFileError(path, "", f"cannot be read ({exc})") from None
    raw = _parsed(path, text)
    f = _Fields(path, "", raw, _QUEST_FIELDS)
    version = f.get("format_version", int)
    if version != FORMAT_VERSION:
        f.fail("format_version", f"is {version}, but this version of ugrad-quest reads format {FORMAT_VERSION}")
    quest_id = f.ident("id")
    if quest_id != quest_dir.name:
        f.fail("id", f"is {quest_id!r} but the folder is named {quest_dir.name!r}")
    xp = _whole(f, "xp")
    raw_tasks = f.get("tasks", list)
    if not raw_tasks:
        f.fail("tasks", "must list at least one task")
    tasks = tuple(_task(path, i, t) for i, t in enumerate(raw_tasks))
    seen: set[str] = set()
    for i, task in enumerate(tasks):
        if task.id in seen:
            raise QuestFileError(path, f"tasks[{i}].id", f"repeats the task id {task.id!r}")
        seen.add(task.id)
    for i, task in enumerate(tasks):
        for j, need in enumerate(task.needs):
            if need not in seen or need == task.id:
                raise QuestFileError(path, f"tasks[{i}].needs[{j}]", f"names {need!r}, which is not another task of this quest")
    retired = tuple(_task(path, i, t, "retired") for i, t in enumerate(f.get("retired", list, [])))
    for i, task in enumerate(retired):
        if task.id in seen:
            raise QuestFileError(path, f"retired[{i}].id", f"is {task.id!r}, a task the quest still has")
        seen.add(task.id)
    quiz = tuple(_question(path, i, q) for i, q in enumerate(f.get("quiz", list, [])))
    asked: set[str] = set()
    for i, question in enumerate(quiz):
        if question.id in asked:
            raise QuestFileError(path, f"quiz[{i}].id", f"repeats the question id {question.id!r}")
        asked.add(question.id)
    return Quest(
        format_version=version,
        id=quest_id,
        title=f.text("title"),
        summary=f.text("summary"),
        xp=xp,
        requires=f.strings("requires", []),
        tasks=tasks,
        root=quest_dir,
        badge=_badge(path, "badge", f.get("badge", dict, None)),
        quiz=quiz,
        engine_stack_kib=int(f.bounded("engine_stack_kib", 256, 64, 1_048_576, " KiB")),
        retired=retired,
    )


@dataclass(frozen=True)
class Catalog:
    quests: tuple[Quest, ...]

    def find(self, quest_id: str) -> Quest | None:
        return next((q for q in self.quests if q.id == quest_id), None)

    def get(self, quest_id: str) -> Quest:
        quest = self.find(quest_id)
        if quest is not None:
            return quest
        known = ", ".join(q.id for q in self.quests) or "none"
        raise QuestError(f"There is no quest called {quest_id!r} (known quests: {known}).")

    def lineage(self, quest_id: str) -> list[Quest]:
        """The quest and every quest it requires, directly or not, in dependency order."""
        wanted, todo = set(), [quest_id]
        while todo:
            quest = self.get(todo.pop())
            if quest.id not in wanted:
                wanted.add(quest.id)
                todo.extend(quest.requires)
        return [q for q in self.quests if q.id in wanted]


def _is_quest_folder(folder: Path) -> bool:
    """A folder with a quest.yaml, or with a quest's parts but its quest.yaml missing (then load_quest says so)."""
    return folder.is_dir() and any((folder / part).exists() for part in ("quest.yaml", *_QUEST_PARTS))


def load_catalog(root: Path) -> Catalog:
    """Every quest under root, in dependency order (a quest after the quests it requires)."""
    if not root.is_dir():
        problem = "is a file, not a folder" if root.exists() else "does not exist"
        raise QuestError(f"The quest folder {root} {problem}.")
    try:
        folders = sorted(d for d in root.iterdir() if _is_quest_folder(d))
    except OSError as exc:
        raise QuestError(f"The quest folder {root} cannot be read ({exc.strerror}).") from None
    quests = {q.id: q for q in map(load_quest, folders)}
    for quest in quests.values():
        for i, req in enumerate(quest.requires):
            if req not in quests:
                raise QuestFileError(quest.root / "quest.yaml", f"requires[{i}]", f"names an unknown quest {req!r}")
    ordered: list[Quest] = []
    visiting: set[str] = set()

    def visit(q: Quest) -> None:
        if q in ordered:
            return
        if q.id in visiting:
            raise QuestFileError(q.root / "quest.yaml", "requires", "forms a cycle of quests requiring each other")
        visiting.add(q.id)
        for req in q.requires:
            visit(quests[req])
        ordered.append(q)

    for q in quests.values():
        visit(q)
    return Catalog(tuple(ordered))
