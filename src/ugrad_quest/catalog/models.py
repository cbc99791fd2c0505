"""Typed models of quest.yaml (format_version 1). Each field's docstring is the format's documentation."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

FORMAT_VERSION = 1


@dataclass(frozen=True)
class Task:
    id: str
    """Stable identifier (lowercase, digits, dashes); hidden tests name it in @pytest.mark.task and scripts rely on it."""
    title: str
    """Short name shown in reports."""
    concept: str
    """What passing this task shows the learner understands; used in the XP review."""
    hints: tuple[str, ...]
    """Ordered hints, revealed one at a time by `quest hint`."""
    xp: int
    """XP awarded the first time the task passes (0 to 100,000)."""
    required: bool = True
    """Required tasks must all pass to complete the quest; bonus tasks (false) only earn XP."""
    timeout: float = 10.0
    """CPU seconds the task's hidden tests may take in total before they are stopped and reported as a
    timeout (0.1 to 3600)."""
    needs: tuple[str, ...] = ()
    """Tasks of the same quest whose tests must also run when this one is checked alone (with
    `quest check --task`), e.g. a shared measurement; their results are not reported."""
    badge: "BadgeSpec | None" = None
    """A badge earned the first time this task passes (optional)."""
    rust: "TaskText | None" = None
    """What a Rust learner reads instead (optional): a concept and hints in Rust terms, where the
    Python ones speak of Python mechanisms (the collector, closures, the recursion limit)."""

    def for_lang(self, lang: str) -> "Task":
        """This task as a learner writing in `lang` reads it."""
        if lang != "rust" or self.rust is None:
            return self
        from dataclasses import replace

        return replace(self, concept=self.rust.concept or self.concept, hints=self.rust.hints or self.hints)


@dataclass(frozen=True)
class TaskText:
    concept: str = ""
    """Replaces the task's concept (empty: the task's own)."""
    hints: tuple[str, ...] = ()
    """Replace the task's hints (empty: the task's own)."""


TIERS = ("common", "rare", "ultimate", "legendary")


@dataclass(frozen=True)
class BadgeSpec:
    name: str
    """The badge's display name."""
    tier: str
    """One of common, rare, ultimate, legendary; the tier sets the badge's XP."""


@dataclass(frozen=True)
class Question:
    id: str
    """Stable identifier within the quest; answers are recorded against it."""
    prompt: str
    """The question as the learner reads it."""
    answer: str | float
    """For multiple choice: the letter of the right choice (a, b, ...). Otherwise: the number."""
    choices: tuple[str, ...] = ()
    """The choices, shown as a), b), ...; empty for a numeric question."""
    tolerance: float = 0.0
    """For a numeric question: how far from `answer` a reply may be and still be right (0, or 1e-12 to 1e9)."""
    explanation: str = ""
    """Shown after the learner answers: why the answer is right."""
    xp: int = 10
    """XP for the first correct answer (half if it came after a wrong one); 0 to 100,000."""
    lang: str = ""
    """Asked only of learners writing in this language (python or rust); empty: asked of everyone."""

    @property
    def numeric(self) -> bool:
        return not self.choices


@dataclass(frozen=True)
class Quest:
    format_version: int
    """Version of this file format; the loader rejects versions it does not know."""
    id: str
    """Stable identifier, equal to the quest's folder name."""
    title: str
    """Name shown in `quest list` and reports."""
    summary: str
    """One or two sentences on what the learner builds."""
    xp: int
    """XP awarded once, when every required task has passed (0 to 100,000)."""
    requires: tuple[str, ...]
    """Quest ids that must be complete before this one can be started."""
    tasks: tuple[Task, ...]
    """The tasks, in the order a learner should do them."""
    root: Path = field(compare=False)
    """The quest's folder (holding quest.yaml, starter/ and hidden/); set by the loader."""
    badge: BadgeSpec | None = None
    """A badge earned when the quest is complete (optional)."""
    quiz: tuple[Question, ...] = ()
    """Concept questions for `quest quiz` (optional)."""
    retired: tuple[Task, ...] = ()
    """Tasks of an earlier version of the quest that are no longer checked (e.g. a speed tier whose
    threshold moved): passes, XP and badges earned on them stand and verify audits them, but they are
    not offered, re-run or counted among the quest's tasks."""
    engine_stack_kib: int = 256
    """A Rust engine runs its learner's code on a thread with this much stack (64 to 1,048,576 KiB). The
    default, 256 KiB, makes a recursion as deep as the graph fail near the depth where Python's
    recursion limit stops it (a few thousand nodes); a quest whose own workloads are deep graphs gives
    more."""

    @property
    def starter_dir(self) -> Path:
        return self.root / "starter"

    def starter_for(self, lang: str) -> Path:
        """The files `quest start` copies for a workspace in `lang` (python: starter/, rust: starter-rust/)."""
        return self.starter_dir if lang == "python" else self.root / f"starter-{lang}"

    @property
    def hidden_dir(self) -> Path:
        return self.root / "hidden"

    def known_task(self, task_id: str) -> Task | None:
        """A task of the quest, current or retired: what a past award may name."""
        return self.task(task_id) or next((t for t in self.retired if t.id == task_id), None)

    def quiz_for(self, lang: str | None) -> tuple[Question, ...]:
        """The questions asked of a learner writing in `lang` (None: every question)."""
        return tuple(q for q in self.quiz if lang is None or q.lang in ("", lang))

    @property
    def required_tasks(self) -> tuple[Task, ...]:
        return tuple(t for t in self.tasks if t.required)

    def question(self, question_id: str) -> Question | None:
        return next((q for q in self.quiz if q.id == question_id), None)

    def task(self, task_id: str) -> Task | None:
        return next((t for t in self.tasks if t.id == task_id), None)

    @property
    def total_timeout(self) -> float:
        return sum(t.timeout for t in self.tasks)

    def with_needs(self, task_ids) -> list[Task]:
        """The tasks to run so that `task_ids` can be checked: them and what they need, in quest order."""
        wanted, todo = set(), list(task_ids)
        while todo:
            task = self.task(todo.pop())
            if task is not None and task.id not in wanted:
                wanted.add(task.id)
                todo.extend(task.needs)
        return [t for t in self.tasks if t.id in wanted]
