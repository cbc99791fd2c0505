"""Quizzes and badges in quest.yaml: the real quizzes are well formed, every numeric answer is
right (worked out again here), and a broken quiz or badge is reported by path and field."""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pytest

from conftest import COURSE, ROOT
from ugrad_quest.catalog import load_catalog, load_quest
from ugrad_quest.catalog.loader import QuestFileError
from ugrad_quest.catalog.models import BadgeSpec, Question

REAL_QUESTS = ("value", "mlp", "optimize", "tensor")


@pytest.fixture(scope="module")
def catalog():
    return load_catalog(ROOT / "quests")


def _real_questions():
    catalog = load_catalog(ROOT / "quests")
    return [(quest.id, q) for quest in catalog.quests for q in quest.quiz]


# --- the real quizzes -------------------------------------------------------------------------


def test_real_quests_load_with_quizzes(catalog):
    assert {q.id for q in catalog.quests} >= set(REAL_QUESTS)
    for quest_id in REAL_QUESTS:
        quiz = catalog.get(quest_id).quiz
        assert len(quiz) >= 5, f"{quest_id} has only {len(quiz)} questions"
        assert any(q.numeric for q in quiz), f"{quest_id} has no numeric question"
        assert any(not q.numeric for q in quiz), f"{quest_id} has no multiple-choice question"
        ids = [q.id for q in quiz]
        assert len(ids) == len(set(ids)), f"{quest_id} repeats a question id"
        assert catalog.get(quest_id).question(ids[0]) is quiz[0]


@pytest.mark.parametrize("quest_id", REAL_QUESTS)
def test_real_questions_are_well_formed(catalog, quest_id: str):
    quiz = catalog.get(quest_id).quiz
    for q in quiz:
        assert q.prompt and len(q.prompt) <= 200, f"{q.id}: the question is empty or too long"
        assert q.explanation, f"{q.id} has no explanation"
        assert q.xp > 0
        if q.numeric:
            assert isinstance(q.answer, float) and q.tolerance >= 0
        else:
            assert 3 <= len(q.choices) <= 4, f"{q.id} should offer 3 or 4 choices"
            assert len(set(q.choices)) == len(q.choices), f"{q.id} repeats a choice"
            assert all(len(c) <= 90 for c in q.choices), f"{q.id} has a choice over 90 characters"
            assert q.answer in "abcd"[:len(q.choices)]
            assert q.tolerance == 0
    letters = [q.answer for q in quiz if not q.numeric]
    assert len(set(letters)) >= min(3, len(letters)), f"{quest_id}: the right letters are not varied: {letters}"


def _slope(f, x: float, h: float = 1e-6) -> float:
    """Central difference: an independent check of the derivatives worked out by hand below."""
    return (f(x + h) - f(x - h)) / (2 * h)


def _nodes_in_naive_dot(n: int) -> int:
    """Counts the nodes sum((wi * xi for ...), b) really makes, with a stand-in for Value."""

    class Node:
        made = 0

        def __init__(self):
            Node.made += 1

        def __add__(self, other):
            return Node()

        __radd__ = __mul__ = __add__

    w, x, b = [Node() for _ in range(n)], [Node() for _ in range(n)], Node()
    Node.made = 0
    sum((wi * xi for wi, xi in zip(w, x)), b)
    return Node.made


# (quest, question id) -> (the right answer, worked out again; the decimal places the question asks
# for, or None if the answer is exact; a central-difference estimate of the same number, or None)
EXPECTED = {
    ("value", "tanh-slope"): (1 - math.tanh(0.5) ** 2, 4, _slope(math.tanh, 0.5)),
    ("value", "reused-input"): (-2.0 + 1.0, None, _slope(lambda a: a * -2.0 + a, 3.0)),  # b + 1
    ("value", "relu-gate"): (1.0 * -3, None, _slope(lambda x: max(0.0, x * -3), -2.0)),  # relu open: 6 > 0
    ("value", "exp-chain"): (math.exp(2 * 0.3) * 2, 4, _slope(lambda x: math.exp(2 * x), 0.3)),
    ("value", "divide-grad"): (-3.0 / 2.0 ** 2, None, _slope(lambda b: 3.0 / b, 2.0)),
    ("value", "clone-same-node"): (2 * 2.0, None, _slope(lambda a: a * a, 2.0)),  # b is a: c = a * a
    ("mlp", "param-count"): (sum(nout * (nin + 1) for nin, nout in zip([2, 16, 16], [16, 16, 1])), None, None),
    ("mlp", "hinge-loss"): (max(0.0, 1 - (-1) * 0.4), None, None),
    ("mlp", "sgd-step"): (0.5 - 0.05 * -2.0, None, None),
    ("mlp", "l2-grad"): (2 * 0.0001 * 3.0, None, _slope(lambda p: 0.0001 * p * p, 3.0)),
    ("optimize", "amdahl"): (1 / ((1 - 0.8) + 0.8 / 10), 2, None),
    ("optimize", "gc-share"): (100 / (100 - 60), None, None),
    ("optimize", "dot-nodes"): (_nodes_in_naive_dot(100), None, None),
    ("optimize", "alloc-share"): (80 / (80 - 50), 2, None),
    ("optimize", "fold-nodes"): (_nodes_in_naive_dot(100), None, None),  # Rust's fold from b: Python's sum(.., b)
    ("tensor", "broadcast-sum"): (1.0 + 2.0 + 3.0 + 4.0, None, _slope(lambda a: a * (1.0 + 2.0 + 3.0 + 4.0), 1.0)),
    ("tensor", "mean-grad"): (1 / 4, None, _slope(lambda x: (x + 3.0) / 4, 1.0)),  # one of the 4 rows averaged
    ("tensor", "stable-lse"): (1000 + math.log(2), 4, None),
    ("tensor", "lse-softmax"): (math.exp(2) / (math.exp(1) + math.exp(2)), 4,
                                _slope(lambda x: math.log(math.exp(1.0) + math.exp(x)), 2.0)),
}


def test_every_real_numeric_question_is_checked_here():
    numeric = {(quest_id, q.id) for quest_id, q in _real_questions() if q.numeric}
    assert numeric == set(EXPECTED), "add (or remove) the worked-out answer in EXPECTED"


@pytest.mark.parametrize("key", sorted(EXPECTED), ids=[f"{k[0]}-{k[1]}" for k in sorted(EXPECTED)])
def test_numeric_answers_are_right(catalog, key):
    quest_id, question_id = key
    q = catalog.get(quest_id).question(question_id)
    assert q is not None and q.numeric, f"{quest_id} has no numeric question {question_id!r}"
    expected, decimals, estimate = EXPECTED[key]
    if estimate is not None:  # the worked-out formula itself agrees with the numbers
        assert abs(estimate - expected) < 1e-6, (expected, estimate)
    assert abs(expected - q.answer) <= q.tolerance, f"{question_id}: answer {q.answer}, expected {expected}"
    if decimals is None:
        # An exact answer: the tolerance only absorbs float noise.
        assert q.tolerance <= 0.01 * max(abs(expected), 1e-3)
    else:
        assert f"{decimals} decimal places" in q.prompt
        rounded, step = round(expected, decimals), 10.0 ** -decimals
        assert abs(rounded - q.answer) <= q.tolerance, "the reply rounded as asked is not accepted"
        for neighbour in (rounded - step, rounded + step):
            assert abs(neighbour - q.answer) > q.tolerance, f"{neighbour} is accepted too: the tolerance is too loose"


def test_every_quiz_and_badge_field_is_documented():
    import ast
    import inspect

    from ugrad_quest.catalog import models

    tree = ast.parse(inspect.getsource(models))
    for cls in (Question, BadgeSpec):
        body = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__).body
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.AnnAssign):
                doc = body[i + 1] if i + 1 < len(body) else None
                assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant), \
                    f"{cls.__name__}.{stmt.target.id} has no docstring"


# --- the loader on small quest files ----------------------------------------------------------

VALID = (COURSE / "basics" / "quest.yaml").read_text().split("\nquiz:")[0] + "\n"  # the fixture's own quiz off
QUIZ = """quiz:
  - id: pick
    question: "Which of these is a leaf of the graph?"
    choices: ["a parameter", "the loss", "a hidden activation"]
    answer: a
    explanation: "Parameters are made by the model, not computed from other Values."
  - id: slope
    question: "d/dx x**2 at x = 3?"
    answer: 6
    tolerance: 0.001
    xp: 15
"""
BADGE = "badge: {name: Gold Star, tier: rare}\n"


def _write(tmp_path: Path, text: str) -> Path:
    quest_dir = tmp_path / "basics"
    quest_dir.mkdir()
    (quest_dir / "quest.yaml").write_text(text)
    return quest_dir


def _with_badges(quest_badge: str = BADGE, task_badge: str = BADGE) -> str:
    text = VALID.replace("xp: 20\n", "xp: 20\n" + quest_badge, 1)
    return text.replace("  - id: double\n", "  - id: double\n    " + task_badge, 1)


def test_valid_quiz_and_badges_load(tmp_path: Path):
    quest = load_quest(_write(tmp_path, _with_badges() + QUIZ))
    pick, slope = quest.quiz
    assert pick == Question(id="pick", prompt="Which of these is a leaf of the graph?", answer="a",
                            choices=("a parameter", "the loss", "a hidden activation"), tolerance=0.0,
                            explanation="Parameters are made by the model, not computed from other Values.", xp=10)
    assert not pick.numeric and slope.numeric
    assert (slope.answer, slope.tolerance, slope.explanation, slope.xp) == (6.0, 0.001, "", 15)
    assert quest.question("slope") is slope and quest.question("nope") is None
    assert quest.badge == BadgeSpec(name="Gold Star", tier="rare")
    assert quest.task("double").badge == BadgeSpec(name="Gold Star", tier="rare")
    assert quest.task("data").badge is None


def test_quiz_and_badge_are_optional(tmp_path: Path):
    quest = load_quest(_write(tmp_path, VALID))
    assert quest.quiz == () and quest.badge is None


def test_a_capital_answer_letter_is_accepted(tmp_path: Path):
    quest = load_quest(_write(tmp_path, VALID + QUIZ.replace("answer: a", "answer: A")))
    assert quest.question("pick").answer == "a"


def _quiz(old: str, new: str) -> str:
    assert QUIZ.count(old) == 1, old
    return VALID + QUIZ.replace(old, new)


ELEVEN = "choices: [" + ", ".join(f'"choice {i}"' for i in range(11)) + "]"

BROKEN = [
    # multiple choice
    ("answer not a choice letter", _quiz("answer: a", "answer: d"),
     "quiz[0].answer must be the letter of one of the choices (a, b, c), got 'd'"),
    ("answer is the choice text", _quiz("answer: a", "answer: a parameter"), "quiz[0].answer must be the letter"),
    ("answer is two letters", _quiz("answer: a", "answer: ab"), "quiz[0].answer must be the letter of one of the choices (a, b, c), got 'ab'"),
    ("answer is empty", _quiz("answer: a", "answer: ''"), "quiz[0].answer must be the letter of one of the choices (a, b, c), got ''"),
    ("answer is a number", _quiz("answer: a", "answer: 1"), "quiz[0].answer must be the letter of one of the choices (a, b, c), got 1"),
    ("choice answer missing", _quiz("    answer: a\n", ""), "quiz[0].answer is missing"),
    ("single choice", _quiz('choices: ["a parameter", "the loss", "a hidden activation"]', 'choices: ["a parameter"]'),
     "quiz[0].choices must offer at least two choices"),
    ("too many choices", _quiz('choices: ["a parameter", "the loss", "a hidden activation"]', ELEVEN),
     "quiz[0].choices must offer at most 10 choices"),
    ("empty choice", _quiz('"the loss"', '""'), "quiz[0].choices[1] must be non-empty text"),
    ("repeated choice", _quiz('"a hidden activation"', '"a parameter"'), "quiz[0].choices[2] repeats choice a)"),
    ("choices not a list", _quiz('["a parameter", "the loss", "a hidden activation"]', "a parameter or the loss"),
     "quiz[0].choices must be a list"),
    ("tolerance on multiple choice", _quiz("    answer: a\n", "    answer: a\n    tolerance: 0.1\n"),
     "quiz[0].tolerance only applies to a numeric question"),
    # numeric
    ("numeric answer is text", _quiz("answer: 6", "answer: six"), "quiz[1].answer must be a number, got 'six'"),
    ("numeric answer missing", _quiz("    answer: 6\n", ""), "quiz[1].answer is missing"),
    ("numeric answer is true", _quiz("answer: 6", "answer: true"), "quiz[1].answer must be a number, got True"),
    ("numeric answer is nan", _quiz("answer: 6", "answer: .nan"), "quiz[1].answer must be a finite number"),
    ("negative tolerance", _quiz("tolerance: 0.001", "tolerance: -0.001"), "quiz[1].tolerance must be zero or more"),
    ("infinite tolerance", _quiz("tolerance: 0.001", "tolerance: .inf"), "quiz[1].tolerance must be a finite number"),
    ("exponent read as text", _quiz("tolerance: 0.001", "tolerance: 1e-3"),
     "quiz[1].tolerance must be a number, got '1e-3' (YAML reads it as text; write 1.0e-3 or a plain decimal)"),
    ("numeric answer with exponent", _quiz("answer: 6", "answer: 6e2"), "got '6e2' (YAML reads it as text; write 6.0e+2"),
    # any question
    ("repeated question id", _quiz("id: slope", "id: pick"), "quiz[1].id repeats the question id 'pick'"),
    ("unknown question field", _quiz("    xp: 15\n", "    xp: 15\n    hint: think\n"), "quiz[1].hint is not a known field"),
    ("bad question id", _quiz("id: pick", "id: Pick One"), "quiz[0].id must use lowercase letters"),
    ("question text missing", _quiz('    question: "d/dx x**2 at x = 3?"\n', ""), "quiz[1].question is missing"),
    ("question text empty", _quiz('"d/dx x**2 at x = 3?"', '"  "'), "quiz[1].question must not be empty"),
    ("fractional xp", _quiz("xp: 15", "xp: 2.5"), "quiz[1].xp must be a whole number"),
    ("question not a mapping", VALID + "quiz:\n  - What is a leaf?\n", "quiz[0] must be a mapping, got str"),
    ("quiz not a list", VALID + "quiz: {pick: a}\n", "quiz must be a list"),
    # badges
    ("quest badge unknown tier", _with_badges(quest_badge="badge: {name: Gold Star, tier: epic}\n"),
     "badge.tier must be one of common, rare, ultimate, legendary, got 'epic'"),
    ("task badge unknown tier", _with_badges(task_badge="badge: {name: Gold Star, tier: Rare}\n"),
     "tasks[1].badge.tier must be one of common, rare, ultimate, legendary, got 'Rare'"),
    ("quest badge missing name", _with_badges(quest_badge="badge: {tier: rare}\n"), "badge.name is missing"),
    ("task badge missing name", _with_badges(task_badge="badge: {tier: rare}\n"), "tasks[1].badge.name is missing"),
    ("badge name empty", _with_badges(quest_badge="badge: {name: '', tier: rare}\n"), "badge.name must not be empty"),
    ("badge missing tier", _with_badges(task_badge="badge: {name: Gold Star}\n"), "tasks[1].badge.tier is missing"),
    ("badge unknown field", _with_badges(quest_badge="badge: {name: Gold Star, tier: rare, xp: 5}\n"),
     "badge.xp is not a known field"),
    ("badge not a mapping", _with_badges(quest_badge="badge: Gold Star\n"), "badge must be a mapping, got 'Gold Star'"),
]


@pytest.mark.parametrize("text,expected", [(t, e) for _, t, e in BROKEN], ids=[n for n, _, _ in BROKEN])
def test_broken_quiz_or_badge_names_file_and_field(tmp_path: Path, text: str, expected: str):
    quest_dir = _write(tmp_path, text)
    with pytest.raises(QuestFileError) as err:
        load_quest(quest_dir)
    message = str(err.value)
    assert message.startswith(f"{quest_dir / 'quest.yaml'}: "), message
    assert expected in message, message
    assert "\n" not in message


def test_quest_badge_error_is_not_blamed_on_a_task(tmp_path: Path):
    quest_dir = _write(tmp_path, _with_badges(quest_badge="badge: {name: Gold Star, tier: epic}\n"))
    with pytest.raises(QuestFileError) as err:
        load_quest(quest_dir)
    assert err.value.where == "badge.tier"


def test_cli_reports_broken_quiz_as_one_line_exit_2(tmp_path: Path, cli, monkeypatch):
    course = tmp_path / "course"
    shutil.copytree(COURSE / "basics", course / "basics")
    (course / "basics" / "quest.yaml").write_text(_quiz("answer: a", "answer: e"))
    monkeypatch.setenv("QUEST_QUESTS_DIR", str(course))
    result = cli("list")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "basics/quest.yaml: quiz[0].answer must be the letter of one of the choices (a, b, c), got 'e'" in result.stderr
    assert "Traceback" not in result.stderr
