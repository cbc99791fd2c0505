"""Every text view at 60, 80 and 100 columns: no word split over two lines, and no text squeezed into a
narrow column. A wrapped text must read as one paragraph: each of its lines starts at the same indent,
and a line ends early only because its next word would pass the right edge (so it uses the width it has)."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from rich.cells import cell_len
from rich.console import Console

from test_card import BADGES, LOG, midway
from ugrad_quest.catalog.models import Question
from ugrad_quest.render import game_views, views
from ugrad_quest.render.console import THEME
from ugrad_quest.services.check import CheckResult, TaskReport
from ugrad_quest.services.config import TrainerConfig
from ugrad_quest.services.hint import HintOffer, HintResult
from ugrad_quest.services.lint import LintReport
from ugrad_quest.services.listing import QuestStatus
from ugrad_quest.services.profile import BadgeView, LogEntry
from ugrad_quest.services.quiz import QuestionState, QuizState

WIDTHS = (60, 80, 100)
INDENT = 4

NOT_WRITTEN = ("a = Value(-1.48) raised NotImplementedError: Value.__init__ is not written yet "
               "(ugrad/engine.py, line 22) while building the graph of a * b + c for the third time")
SPEED_NOTE = "measured 27.3x faster than the baseline on 3 workloads (CPU time of your worker, not wall time)"
TIMED_OUT = "stopped after 15 s while in backward() (ugrad/engine.py, line 40): a cycle in the graph never ends"


def render(renderable, width: int) -> list[str]:
    console = Console(width=width, file=io.StringIO(), color_system=None, theme=THEME)
    console.print(renderable)
    lines = console.file.getvalue().splitlines()
    assert all(cell_len(line) <= width for line in lines), "\n".join(lines)
    return [line.rstrip() for line in lines]


def paragraph(lines: list[str], text: str, right: int) -> tuple[int, int]:
    """Where `text` is, as (first line, column it starts at), asserting it reads as one paragraph
    with `right` columns to use."""
    target = " ".join(text.split())
    for last in range(len(lines)):
        for first in range(last, -1, -1):
            if target in " ".join(line.strip() for line in lines[first:last + 1]):
                break
        else:
            continue
        break
    else:
        raise AssertionError(f"{text!r} is not in the output, or a word of it is split:\n" + "\n".join(lines))
    if first == last:
        return first, lines[first].index(target)
    head = lines[first]
    column = min(c for c in range(len(head)) if (c == 0 or head[c - 1] == " ") and target.startswith(head[c:]))
    for line in lines[first + 1:last + 1]:
        assert len(line) - len(line.lstrip()) == column, f"{line!r} does not line up under column {column}"
    for line, following in zip(lines[first:last], lines[first + 1:last + 1]):
        assert len(line) + 1 + len(following.split()[0]) > right, f"{line!r} wraps before the edge ({right})"
    return first, column


def panel_inside(lines: list[str]) -> list[str]:
    """A panel's lines without its border and padding."""
    return [line[2:].rstrip("│").rstrip() for line in lines]


def task(id, title, status, message="", xp=0, required=True) -> TaskReport:
    return TaskReport(id, title, status, required, message, xp, 0, 1, 0.1)


CHECK = CheckResult(
    "value", "The Value engine", False,
    [task("add-mul", "Add and multiply", "passed", xp=50),
     task("more-ops", "Subtract, divide, power", "failed", NOT_WRITTEN),
     task("speedup-25x", "Twenty-five times as fast", "passed", SPEED_NOTE, required=False),
     task("backprop", "Backpropagation", "timeout", TIMED_OUT)],
    50, 0, [], 3.2, 1, 2, "more-ops",
    output="loss went from 0.693147 to 0.012345 after 100 steps of gradient descent on two moons\n",
    output_bytes=87)


@pytest.mark.parametrize("width", WIDTHS)
def test_check_puts_each_message_under_its_task_across_the_full_width(width: int):
    lines = render(views.check(CHECK), width)
    rows = {line.split()[1]: i for i, line in enumerate(lines) if line[:1] in "✔✘⏱"}
    assert lines[rows["add-mul"]].split() == ["✔", "add-mul", "Add", "and", "multiply", "+50", "XP"]
    assert lines[rows["more-ops"]].split()[-1] == "failed" and lines[rows["backprop"]].split()[-1] == "timeout"
    assert lines[rows["speedup-25x"]].split()[-1] == "passed" and "(bonus)" in lines[rows["speedup-25x"]]
    for task_id, message in (("more-ops", NOT_WRITTEN), ("speedup-25x", SPEED_NOTE), ("backprop", TIMED_OUT)):
        first, column = paragraph(lines, message, width)
        assert (first, column) == (rows[task_id] + 1, INDENT), task_id  # right under its task line
    assert rows["speedup-25x"] > rows["more-ops"] + 2  # at least two lines of message in between
    paragraph(panel_inside(lines), CHECK.output.strip(), width - 4)


def test_check_task_columns_line_up():
    lines = render(views.check(CHECK), 60)
    rows = [line for line in lines if line[:1] in "✔✘⏱"]
    assert len({line.index(title) for line, title in zip(rows, ("Add", "Subtract", "Twenty", "Backprop"))}) == 1
    assert len({line.index(outcome) for line, outcome in zip(rows, ("+50", "failed", "passed", "timeout"))}) == 1


QUESTS = [QuestStatus("value", "The Value engine", "", "in progress", (), 2, 6, 2, 5, 480),
          QuestStatus("mlp", "Neurons, layers and an MLP", "", "locked", ("value",), 0, 5, 0, 5, 480),
          QuestStatus("optimize", "Make it fast", "", "locked", ("mlp",), 0, 5, 0, 5, 450)]


@pytest.mark.parametrize("width", WIDTHS)
def test_list_is_a_table_where_it_fits_and_puts_titles_under_where_it_does_not(width: int):
    lines = render(views.quest_list(QUESTS), width)
    for quest in QUESTS:
        first, column = paragraph(lines, quest.title, width)
        row = next(i for i, line in enumerate(lines) if line.startswith(quest.id + " "))
        assert first == row or (first, column) == (row + 1, INDENT)
    wide = lines[0].split() == ["quest", "status", "tasks", "XP", "what", "you", "build"]
    assert wide == (width >= 80)


LONG_BADGE = BadgeView("warp", "Warp Drive", "legendary",
                       "Pass Twenty-five times as fast (speedup-25x) in optimize, timed against the baseline.", 100)


@pytest.mark.parametrize("width", WIDTHS)
def test_badges_say_how_to_earn_each_in_a_full_width_line_or_paragraph(width: int):
    views_ = [*BADGES, LONG_BADGE]
    lines = render(game_views.badges(views_), width)
    for badge in views_:
        row = next(i for i, line in enumerate(lines) if f" {badge.name} " in line + " ")
        first, column = paragraph(lines, badge.description, width)
        assert first == row or (first, column) == (row + 1, INDENT), badge.name
    assert lines[-1] == "3 of 4 badges earned."


@pytest.mark.parametrize("width", WIDTHS)
def test_hints_and_their_price_wrap_between_words(width: int):
    offer = HintOffer("value", "add-mul", "Add and multiply", 2, 3, 10, 50, 10)
    earlier = "Store data in self.data, and remember the children of each operation as a tuple of Values."
    declined = render(views.hint(HintResult("value", None, "", 0, 3, "", False, earlier=(earlier,), declined=offer)),
                      width)
    paragraph(declined, "Hint 1/3: " + earlier, width)
    paragraph(declined, views.hint_price(offer), width)
    text = ("Wrap plain numbers: other = other if isinstance(other, Value) else Value(other); then the result "
            "remembers (self, other) as its children and how to pass a gradient back to each.")
    shown = render(views.hint(HintResult("value", "add-mul", "Add and multiply", 2, 3, text, True, cost=10)), width)
    assert shown[0].startswith("╭─ Hint 2/3 for add-mul (Add and multiply) ")
    paragraph(panel_inside(shown), text, width - 4)


@pytest.mark.parametrize("width", WIDTHS)
def test_log_reviews_are_paragraphs_under_their_award(width: int):
    entries = [*LOG, LogEntry(dt.date(2025, 3, 1), "task", "value", "more-ops", 40,
                              "Subtract, divide, power, passed on check 4. Caught and fixed on the way: “" + NOT_WRITTEN
                              + "”. Shows that every operation is a node with its own local derivative.")]
    lines = render(game_views.log(entries), width)
    for entry in entries:
        first, column = paragraph(lines, entry.review, width)
        assert column == INDENT and lines[first - 1].startswith(entry.date.isoformat())


def _question(**fields) -> QuestionState:
    values = dict(id="params-are-values", prompt="Why must parameters() return the neuron's own Values rather "
                  "than copies like Value(w.data), when training updates them in place?", xp=10)
    values.update(fields)
    return QuestionState(Question(**values), False, 0)


CHOICES = ["Copies use more memory, which slows training down",
           "Copies would get their gradient twice, since both would be in the graph of every step",
           "Copies are not in the graph: backward() never fills their grad, and updates do nothing at all"]


@pytest.mark.parametrize("width", WIDTHS)
def test_a_quiz_question_wraps_its_prompt_and_each_choice_under_itself(width: int):
    item = _question(choices=tuple(CHOICES), answer="c")
    lines = render(game_views.quiz_overview(QuizState("mlp", "Neurons, layers and an MLP", [item]), item), width)
    assert lines[2] == "params-are-values  +10 XP"
    assert paragraph(lines, item.question.prompt, width) == (3, 2)
    for letter, choice in zip("abc", CHOICES):
        first, column = paragraph(lines, choice, width)
        assert lines[first][column - 3:column] == f"{letter}) "
    command = "quest quiz mlp --question params-are-values --answer …"
    assert lines[-2:] == ["Answer with:", "  " + command]  # a command is never split


@pytest.mark.parametrize("width", WIDTHS)
def test_config_values_wrap_under_themselves(width: int):
    long_name = "Grace Brewster Murray Hopper of the Harvard Mark I computation laboratory and the COBOL committee"
    lines = render(game_views.config(TrainerConfig(long_name, None, "Ada"), None), width)
    assert paragraph(lines, long_name, width) == (0, 7) and lines[0].startswith("name   Grace")
    assert lines[-1] == "title  by level (default)"


@pytest.mark.parametrize("width", WIDTHS)
def test_lint_statuses_and_problems_wrap_under_themselves(width: int):
    problem = ("the starter passes add-mul: a starter must fail every required task, or the quest teaches "
               "nothing to the learner who starts it")
    statuses = {t: "failed" for t in ("add-mul", "more-ops", "relu", "tanh-exp", "backprop", "deep-graphs")}
    lines = render(views.lint(LintReport("value", [problem], statuses, {})), width)
    assert paragraph(lines, ", ".join(f"{t} failed" for t in statuses), width) == (1, 11)
    assert paragraph(lines, problem, width)[1] == 4 and "✘ the starter" in "\n".join(lines)


@pytest.mark.parametrize("width", WIDTHS)
def test_the_trainer_card_keeps_every_item_whole(width: int):
    console = Console(width=width, file=io.StringIO(), color_system=None, theme=THEME)
    lines = panel_inside(render(views.profile(midway(), console), width))
    for item in ("Grace Hopper", "Keeper of Graphs", "tasks 8/30", "quests 1/3", "badges 3/14", "quizzes 2/9",
                 "active days 4", "◆ Value Tamer", "• Warm Gradient", "★ Grandmaster of Gradients"):
        assert any(item in line for line in lines), (item, width)
