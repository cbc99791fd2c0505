"""Each learner reads their own language: a Rust learner's task texts (concept and hints, as
`quest hint`, the start view and the XP review show them) and quiz (as `quest quiz` asks it in a Rust
workspace) say nothing only Python has, and a Python learner's say nothing only Rust has. The Rust
profiling hint's commands finish in seconds on a plain engine."""

from __future__ import annotations

import json
import re
import resource
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import FIXTURES, ROOT
from ugrad_quest.catalog import load_catalog
from ugrad_quest.runner.cargo import cargo_command, cargo_env

QUESTS = ("value", "mlp", "optimize")

# Python's own mechanisms and syntax. `self.` is Rust too (`self.0.borrow()`, `self.w.iter()`), so
# Python's forms of it are matched instead: a Value's data and grad read as attributes (Rust's are
# methods), attributes assigned (Rust builds structs with literals), a for loop over a method call
# ending in a colon; and Python's class-level calls (`Value.dot(` where Rust writes `Value::dot(`).
PYTHON_ONLY = [re.escape(m) for m in (
    "def ", "__", "sys.", "gc.", "math.", "cProfile", "python -m", "recursion limit", "import ", ".py",
    "docstring", "sum([", "**kwargs", "Python", "_backward", "range(", "operator.", "zip(self.",
)] + [r"\bself\.(?:data|grad|_\w+)\b(?!\()", r"\bself\.\w+ = ", r"\bin self\.\w+\(\):", r"\bValue\.[a-z_]+\(",
    r"(?<!!)\[self\."]  # a Python list of attributes; Rust's vec![self.clone()] is a macro
RUST_ONLY = [re.escape(m) for m in (
    "&self", "Rc<", "Rc::", "RefCell", "cargo ", "fn ", "impl ", ".rs", "borrow_mut", "::new(", "Vec<",
    "Box<", "HashMap", "HashSet", "thread_local!",
)]


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "quests")


def _texts(quest, lang: str) -> list[tuple[str, str]]:
    """(where, text) of everything a learner writing in `lang` reads of the quest's tasks and quiz."""
    texts = []
    for task in quest.tasks:
        seen = task.for_lang(lang)
        texts.append((f"{quest.id}/{task.id} concept", seen.concept))
        texts += [(f"{quest.id}/{task.id} hint {i}", hint) for i, hint in enumerate(seen.hints, 1)]
    for q in quest.quiz_for(lang):
        texts.append((f"{quest.id} quiz {q.id}", q.prompt))
        texts += [(f"{quest.id} quiz {q.id} choice {'abcd'[i]}", c) for i, c in enumerate(q.choices)]
        texts.append((f"{quest.id} quiz {q.id} explanation", q.explanation))
    return texts


def _hits(texts: list[tuple[str, str]], markers: list[str]) -> list[str]:
    return [f"{where}: {m.group(0)!r} in {text!r}" for where, text in texts for pattern in markers
            for m in [re.search(pattern, text)] if m]


@pytest.mark.parametrize("quest_id", QUESTS)
def test_a_rust_learner_reads_nothing_only_python_has(catalog, quest_id):
    hits = _hits(_texts(catalog.get(quest_id), "rust"), PYTHON_ONLY)
    assert not hits, "write a rust: block for the task, or mark the question lang: python:\n" + "\n".join(hits)


@pytest.mark.parametrize("quest_id", QUESTS + ("tensor",))  # tensor has no Rust version yet
def test_a_python_learner_reads_nothing_only_rust_has(catalog, quest_id):
    hits = _hits(_texts(catalog.get(quest_id), "python"), RUST_ONLY)
    assert not hits, "move the Rust wording into the task's rust: block or a lang: rust question:\n" + "\n".join(hits)


@pytest.mark.parametrize("quest_id", QUESTS)
def test_the_markers_find_each_language_where_it_is_written(catalog, quest_id):
    """The two checks above would pass on empty texts: the markers must find Python in what only a
    Python learner reads, and Rust in what only a Rust learner reads."""
    quest = catalog.get(quest_id)
    python = [(t.id, h) for t in quest.tasks for h in t.hints] + [(q.id, q.prompt + " " + q.explanation)
                                                                   for q in quest.quiz if q.lang == "python"]
    rust = [(t.id, h) for t in quest.tasks if t.rust for h in t.rust.hints] + [
        (q.id, q.prompt + " " + q.explanation) for q in quest.quiz if q.lang == "rust"]
    assert _hits(python, PYTHON_ONLY) and _hits(rust, RUST_ONLY)


@pytest.mark.parametrize("quest_id", QUESTS)
def test_rust_texts_teach_as_much_as_the_python_ones(catalog, quest_id):
    """A Rust block replaces hints one for one (give or take one), and each language gets a full quiz."""
    quest = catalog.get(quest_id)
    for task in quest.tasks:
        if task.rust and task.rust.hints:
            assert abs(len(task.rust.hints) - len(task.hints)) <= 1, f"{task.id}: {len(task.rust.hints)} Rust hints"
    for lang in ("python", "rust"):
        quiz = quest.quiz_for(lang)
        assert len(quiz) >= 8, f"{quest_id}: {lang} learners get {len(quiz)} questions"
        assert any(q.numeric for q in quiz) and any(not q.numeric for q in quiz), (quest_id, lang)
    python_only, rust_only = ([q for q in quest.quiz if q.lang == lang] for lang in ("python", "rust"))
    assert len(rust_only) >= len(python_only), f"{quest_id}: the Python-only questions need Rust counterparts"


def _words(output: str) -> str:
    """CLI output as one line of words, without the panel's borders (a hint wraps inside a box)."""
    return " ".join(output.replace("│", " ").split())


def test_quest_hint_in_a_rust_workspace_shows_the_rust_hint(cli, tmp_path, catalog):
    add_mul = catalog.get("value").task("add-mul")
    started = cli("start", "value", "--lang", "rust", "--dir", "ws", cwd=tmp_path)
    assert started.exit_code == 0, started.stdout
    shown = _words(cli("hint", "--yes", cwd=tmp_path / "ws").stdout)
    assert "Hint 1/5" in shown
    assert "Value::from_op(x, Vec::new(), None)" in shown and "Rc::as_ptr(&self.0) as usize" in shown
    assert add_mul.hints[0].split(" is ")[0] not in shown  # Python's `out = Value(self.data + other.data)`
    python = tmp_path / "py"
    assert cli("start", "value", "--dir", str(python), cwd=tmp_path).exit_code == 0
    assert "out = Value(self.data + other.data)" in _words(cli("hint", "--yes", cwd=python).stdout)


def test_quest_quiz_in_a_rust_workspace_asks_the_rust_questions(cli, tmp_path):
    def asked(ws: Path) -> set[str]:
        return {q["id"] for q in json.loads(cli("quiz", "--json", cwd=ws).stdout)["questions"]}

    assert cli("start", "value", "--lang", "rust", "--dir", "ws", cwd=tmp_path).exit_code == 0
    rust = asked(tmp_path / "ws")
    assert {"clone-same-node", "double-borrow", "tanh-slope"} <= rust and "recursion-limit" not in rust
    right = cli("quiz", "--question", "clone-same-node", "--answer", "4")
    assert right.exit_code == 0 and "A clone is another handle to the same node" in _words(right.stdout)
    python = tmp_path / "py"
    assert cli("start", "value", "--dir", str(python), cwd=tmp_path).exit_code == 0
    py = asked(python)
    assert {"recursion-limit", "tanh-slope"} <= py and "clone-same-node" not in py


@pytest.mark.skipif(cargo_command() is None, reason="cargo is not installed (rustup.rs)")
def test_the_rust_profiling_hint_runs_in_seconds(tmp_path, catalog):
    """speedup-2x's Rust hints, run as written on a plain engine (rc_kahn with the starter's step and
    example): the timing command, then the example raised to 200 steps for a profiler."""
    hints = catalog.get("optimize").task("speedup-2x").for_lang("rust").hints
    timing, build = "cargo run --release --example profile_step", "cargo build --release --example profile_step"
    assert timing in hints[0] and build in hints[1] and "raise `let steps = 5;` to 200" in hints[1]
    crate = tmp_path / "crate"
    shutil.copytree(FIXTURES / "rust" / "rc_kahn" / "src", crate / "src")
    shutil.copy(ROOT / "quests" / "value" / "starter-rust" / "Cargo.toml", crate)
    starter = ROOT / "quests" / "optimize" / "starter-rust"
    shutil.copytree(starter / "examples", crate / "examples")
    shutil.copy(starter / "src" / "train.rs", crate / "src" / "train.rs")
    example = crate / "examples" / "profile_step.rs"
    assert "let steps = 5;" in example.read_text()

    def run(command: str) -> tuple[str, float]:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        done = subprocess.run([cargo_command(), *command.split()[1:]], cwd=crate, capture_output=True, text=True,
                              timeout=300, env=cargo_env())
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        assert done.returncode == 0, done.stderr[-2000:]
        return done.stdout, (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)

    out, cpu = run(timing)
    assert "ms per step (5 steps of MLP(2, [16, 16, 1])" in out and cpu < 60, (out, cpu)
    example.write_text(example.read_text().replace("let steps = 5;", "let steps = 200;"))
    run(build)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    done = subprocess.run([crate / "target" / "release" / "examples" / "profile_step"], capture_output=True,
                          text=True, timeout=120)
    cpu = resource.getrusage(resource.RUSAGE_CHILDREN).ru_utime - before.ru_utime
    assert done.returncode == 0 and "200 steps" in done.stdout and cpu < 10, (done.stdout[-300:], cpu)
