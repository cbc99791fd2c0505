"""The game through the CLI, as a learner plays it over simulated days (QUEST_NOW and TZ per command)."""

from __future__ import annotations

import datetime as dt
import json
import sqlite3
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, quest_command


@pytest.fixture
def day(monkeypatch):
    """Set the clock (and optionally the zone) for the next commands, as a script would per command."""

    def set_day(moment: str, tz: str = "America/New_York") -> None:
        monkeypatch.setenv("QUEST_NOW", moment)
        monkeypatch.setenv("TZ", tz)

    return set_day


def _profile(cli) -> dict:
    result = cli("profile", "--json")
    assert result.exit_code == 0, result.stderr
    return json.loads(result.stdout)


def _answer(cli, question: str, reply: str, quest: str = "basics"):
    return cli("quiz", quest, "--question", question, "--answer", reply)


# --- quizzes -------------------------------------------------------------------------------------

def test_a_right_answer_earns_xp_once(course, cli, day):
    day("2026-03-02T10:00:00")
    first = _answer(cli, "q1", "2")
    assert first.exit_code == 0
    assert "✔ Right. +10 XP" in first.stdout
    again = _answer(cli, "q1", "2")
    assert again.exit_code == 0 and "no XP the second time" in again.stdout
    data = _profile(cli)
    assert (data["quizzes"], data["quizzes_total"]) == (1, 11)
    assert data["xp"] == 10


def test_a_wrong_answer_earns_nothing_hides_the_answer_and_halves_the_later_xp(course, cli, day):
    day("2026-03-02T10:00:00")
    wrong = _answer(cli, "pick", "a")
    assert wrong.exit_code == 1
    assert "Not quite" in wrong.stdout and "d loss / d x" not in wrong.stdout
    right = _answer(cli, "pick", "B")  # letters in either case
    assert right.exit_code == 0 and "+10 XP" in right.stdout  # 20 XP, halved
    assert "The derivative of the loss" in right.stdout
    log = json.loads(cli("log", "--json").stdout)
    assert [(e["kind"], e["subject"], e["xp"]) for e in log] == [("quiz", "pick", 10)]
    assert "after 1 wrong answer" in log[0]["review"]


def test_multiple_choice_accepts_the_choice_text(course, cli, day):
    day("2026-03-02T10:00:00")
    assert _answer(cli, "pick", "d loss / d x").exit_code == 0


@pytest.mark.parametrize("question, reply, message", [
    ("pick", "z", "Error: Answer question 'pick' with one of the letters a, b, c; got 'z'."),
    ("q1", "two", "Error: Question 'q1' wants a number, such as 0.7864; got 'two'."),
    ("nope", "1", "Error: The basics quiz has no question 'nope' (questions: q1, q2, q3, q4, q5, q6, q7, q8, q9, q10, pick)."),
])
def test_a_reply_that_is_not_an_answer_is_a_usage_error_and_records_nothing(course, cli, day, quest_home, question,
                                                                            reply, message):
    day("2026-03-02T10:00:00")
    result = _answer(cli, question, reply)
    assert result.exit_code == 2 and result.stderr.strip() == message
    db = quest_home / "progress.sqlite3"
    if db.exists():
        assert sqlite3.connect(db).execute("SELECT COUNT(*) FROM quiz_answer").fetchone() == (0,)


def test_quiz_without_answer_shows_the_next_question_and_how_to_answer(course, cli, day):
    day("2026-03-02T10:00:00")
    _answer(cli, "q1", "2")
    shown = cli("quiz", "basics")
    assert shown.exit_code == 0
    assert "1/11 answered correctly" in shown.stdout
    lines = shown.stdout.splitlines()
    assert lines[lines.index("q2  +10 XP") + 1] == "  2 + 1?"
    assert "Answer with:\n  quest quiz basics --question q2 --answer …" in shown.stdout
    state = json.loads(cli("quiz", "basics", "--json").stdout)
    assert [q["solved"] for q in state["questions"]][:2] == [True, False]
    # --answer without --question answers the first open one
    assert "Right" in cli("quiz", "basics", "--answer", "3").stdout


def test_outside_a_workspace_the_quiz_needs_the_quest_named(course, cli, day, tmp_path, monkeypatch):
    from ugrad_quest.cli import game

    day("2026-03-02T10:00:00")
    for args, example in ((["--answer", "2"], "quest quiz basics --answer 2"), ([], "quest quiz basics"),
                          (["--json"], "quest quiz basics"), (["-q", "q2", "-a", "3 "], "quest quiz basics --answer 3")):
        refused = cli("quiz", *args, cwd=tmp_path)
        assert refused.exit_code == 2, args
        assert refused.stderr == (f"Error: {tmp_path} is not inside a quest workspace, so there is no current quiz: "
                                  f"name the quest, e.g. `{example}`, or cd to your workspace.\n")
    monkeypatch.setattr(game, "interactive", lambda: True)
    asked = cli("quiz", input="2\n", cwd=tmp_path)
    assert asked.exit_code == 2 and "Your answer" not in asked.stdout
    assert json.loads(cli("log", "--json").stdout) == []  # nothing was recorded against a guessed quest

    (tmp_path / ".ugrad-quest.json").write_text('{"format_version": 1, "package": "ugrad", "quests": []}')
    nothing_started = cli("quiz", "--answer", "2", cwd=tmp_path)
    assert nothing_started.exit_code == 2
    assert nothing_started.stderr.startswith(f"Error: No quest is started in {tmp_path}, so there is no current quiz")

    named = cli("quiz", "basics", "--answer", "2", cwd=tmp_path)  # with the quest named it works anywhere
    assert named.exit_code == 0 and "✔ Right. +10 XP" in named.stdout


def test_the_real_quests_quizzes_can_be_answered(cli, day):
    day("2026-03-02T10:00:00")
    result = cli("quiz", "value", "--question", "tanh-slope", "--answer", "0.7864", "--json")
    assert result.exit_code == 0
    data = json.loads(result.stdout)
    assert data["correct"] is True and data["xp_awarded"] > 0 and data["expected"] == "0.7864"
    assert cli("quiz", "value", "--question", "tanh-slope", "--answer", "0.7866").exit_code == 1
    assert cli("quiz", "nope").exit_code == 2


# --- streaks over simulated days -----------------------------------------------------------------

def test_streak_freeze_missed_days_over_two_weeks(course, cli, day):
    questions = [f"q{i}" for i in range(1, 11)]
    # Mon 2 March to Sun 8 March: seven days in a row earn a freeze.
    for i in range(7):
        day(f"2026-03-{2 + i:02d}T20:00:00")
        assert _answer(cli, questions[i], str(i + 2)).exit_code == 0
    data = _profile(cli)
    assert (data["streak"], data["longest_streak"], data["freezes_held"], data["active_days"]) == (7, 7, 1, 7)
    assert "streak-3" in data["badges"] and "streak-7" in data["badges"]

    # Monday 9 March is skipped. On Tuesday, before doing anything, the streak is still alive: the freeze covered it.
    day("2026-03-10T08:00:00")
    data = _profile(cli)
    assert (data["streak"], data["freezes_held"]) == (7, 0)
    assert data["frozen_days"] == ["2026-03-09"] and data["missed_days"] == []
    assert _answer(cli, questions[7], "9").exit_code == 0
    assert _profile(cli)["streak"] == 8

    # Wednesday and Thursday skipped, no freeze left: Wednesday breaks the streak.
    day("2026-03-13T09:00:00")
    data = _profile(cli)
    assert data["streak"] == 0 and data["longest_streak"] == 8
    assert data["missed_days"] == ["2026-03-11"]
    assert _answer(cli, questions[8], "10").exit_code == 0
    data = _profile(cli)
    assert (data["streak"], data["longest_streak"], data["active_days"]) == (1, 8, 9)


def test_streak_across_a_dst_change_and_a_time_zone_change(course, cli, day):
    # 2026-03-08 is 23 hours long in New York; each late-evening answer is one calendar day later.
    day("2026-03-07T23:30:00")
    _answer(cli, "q1", "2")
    day("2026-03-08T23:30:00")
    _answer(cli, "q2", "3")
    day("2026-03-09T00:30:00")  # an hour later, but already the next day
    _answer(cli, "q3", "4")
    data = _profile(cli)
    assert data["streak"] == 3 and data["active_days"] == 3
    # Flying to Tokyo: 2026-03-09 13:00 in New York is already 10 March there.
    day("2026-03-09T13:00:00-04:00", tz="Asia/Tokyo")
    _answer(cli, "q4", "5")
    data = _profile(cli)
    assert data["streak"] == 4 and sorted(data["heatmap"]) == ["2026-03-07", "2026-03-08", "2026-03-09", "2026-03-10"]
    # Dates already stored keep the date they had where they were earned.
    assert json.loads(cli("log", "--json").stdout)[-1]["date"] == "2026-03-07"


def test_today_is_not_missed_until_it_ends(course, cli, day):
    day("2026-03-02T09:00:00")
    _answer(cli, "q1", "2")
    day("2026-03-03T23:59:00")
    assert _profile(cli)["streak"] == 1
    day("2026-03-04T00:01:00")
    data = _profile(cli)
    assert data["streak"] == 0 and data["missed_days"] == ["2026-03-03"]


def test_the_clock_and_zone_can_be_set_for_one_command_from_outside(course, tmp_path, quest_home):
    env = {"QUEST_QUESTS_DIR": str(course), "QUEST_HOME": str(quest_home), "TZ": "America/New_York",
           "QUEST_NOW": "2026-03-08T23:30:00"}
    assert quest_command("quiz", "basics", "--question", "q1", "--answer", "2", cwd=tmp_path, env=env).returncode == 0
    env.update(TZ="Asia/Tokyo", QUEST_NOW="2026-03-08T23:30:00-04:00")  # the same instant is 9 March in Tokyo
    assert quest_command("quiz", "basics", "--question", "q2", "--answer", "3", cwd=tmp_path, env=env).returncode == 0
    out = quest_command("profile", "--json", cwd=tmp_path, env=env)
    data = json.loads(out.stdout)
    assert sorted(data["heatmap"]) == ["2026-03-08", "2026-03-09"]
    assert (data["streak"], data["active_days"], data["freezes_held"]) == (2, 2, 0)


def test_a_bad_quest_now_is_a_usage_error(cli, monkeypatch):
    monkeypatch.setenv("QUEST_NOW", "yesterday")
    result = cli("profile")
    assert result.exit_code == 2
    assert result.stderr.strip() == "Error: QUEST_NOW='yesterday' is not an ISO date and time such as 2026-03-08T23:30:00."


# --- badges, log, config -------------------------------------------------------------------------

def test_badges_lists_earned_and_unearned_with_how_to_earn_them(course, cli, day, tmp_path):
    day("2026-03-02T10:00:00")
    before = json.loads(cli("badges", "--json").stdout)
    assert all(b["earned_on"] is None for b in before)
    cli("start", "basics", "--dir", str(tmp_path))
    (tmp_path / "ugrad" / "engine.py").write_text(BASICS_ENGINE)
    check = json.loads(cli("check", "--json", cwd=tmp_path).stdout)
    assert check["badges_awarded"] == ["first-pass", "first-try", "no-hints"]
    after = {b["id"]: b for b in json.loads(cli("badges", "--json").stdout)}
    assert after["first-pass"]["earned_on"] == "2026-03-02" and after["first-pass"]["tier"] == "common"
    assert after["quest-line"]["earned_on"] is None
    text = cli("badges").stdout
    assert "3 of" in text and "badges earned" in text
    assert "Earn XP on 7 days in a row." in " ".join(text.split())
    # A second check re-evaluates every rule and awards nothing twice.
    again = json.loads(cli("check", "--json").stdout)
    assert again["badges_awarded"] == [] and again["xp_awarded"] == 0


def test_the_log_reviews_what_happened(course, cli, day, tmp_path):
    day("2026-03-02T10:00:00")
    cli("start", "basics", "--dir", str(tmp_path))
    engine = tmp_path / "ugrad" / "engine.py"
    engine.write_text(BASICS_ENGINE.replace("return self.data * 2", "return self.data + 2"))
    cli("check", cwd=tmp_path)
    day("2026-03-02T11:05:00")
    engine.write_text(BASICS_ENGINE)
    cli("check")
    log = json.loads(cli("log", "--json").stdout)
    double = next(e for e in log if e["subject"] == "double")
    assert double["review"].startswith("Double, passed on check 2. Shows that double() returns twice the data.")
    assert "Caught and fixed on the way: “Value(4).double() should be 8" in double["review"]
    quest = next(e for e in log if e["kind"] == "quest")
    assert quest["review"].startswith("Completed Basics in 1 h 5 min from start, over 2 checks and 0 hints.")
    text = cli("log").stdout
    assert "+20 XP  quest  basics" in text
    assert "awards," in text


def test_config_sets_and_unsets_the_trainer_name_and_title(cli, monkeypatch):
    assert cli("config", "name", "Ada Lovelace").exit_code == 0
    assert cli("config", "title", "Gradient Tamer").exit_code == 0
    data = _profile(cli)
    assert (data["trainer"], data["title"]) == ("Ada Lovelace", "Gradient Tamer")
    shown = cli("config").stdout
    assert "Ada Lovelace" in shown and "Gradient Tamer" in shown
    cli("config", "title", "--unset")
    assert _profile(cli)["title"] != "Gradient Tamer"
    bad = cli("config", "colour", "blue")
    assert bad.exit_code == 2 and bad.stderr.strip() == "Error: There is no setting 'colour' (settings: name, title)."
    empty = cli("config", "name", "   ")
    assert empty.exit_code == 2 and "cannot be empty" in empty.stderr
    assert _profile(cli)["trainer"] == "Ada Lovelace"


def test_in_a_terminal_hint_asks_before_charging(course, cli, monkeypatch, tmp_path):
    from ugrad_quest.cli import app

    monkeypatch.setattr(app, "interactive", lambda: True)
    cli("start", "basics", "--dir", str(tmp_path))
    no = cli("hint", input="n\n", cwd=tmp_path)
    assert "Hint 1/2 for data costs 2 XP of the task's 10 when it passes" in no.stdout and "Reveal it?" in no.stdout
    assert "Store data" not in no.stdout and "Not revealed" in no.stdout
    yes = cli("hint", input="y\n")
    assert "Store data in self.data." in yes.stdout and "-2 XP from data when it passes" in yes.stdout
    (tmp_path / "ugrad" / "engine.py").write_text(BASICS_ENGINE)
    cli("check")
    free = cli("hint", "double")  # a task that passed: its hints cost nothing, so nothing is asked
    assert "Reveal it?" not in free.stdout and "return self.data * 2" in free.stdout


def test_in_a_terminal_quiz_asks_each_open_question(course, cli, monkeypatch, day):
    from ugrad_quest.cli import game

    day("2026-03-02T10:00:00")
    monkeypatch.setattr(game, "interactive", lambda: True)
    # q1 right, q2 skipped, q3 not a number (said, and asked on), q4 wrong, the rest skipped.
    replies = "2\n\nfour\n6\n" + "\n" * 7
    result = cli("quiz", "basics", input=replies)
    assert result.exit_code == 0
    out = result.stdout
    assert "q1  +10 XP\n  1 + 1?" in out and "✔ Right. +10 XP" in out
    assert "Question 'q3' wants a number" in out
    assert "Not quite: '6' is not it." in out
    state = {q["id"]: (q["solved"], q["wrong_answers"]) for q in json.loads(cli("quiz", "basics", "--json").stdout)["questions"]}
    assert state["q1"] == (True, 0) and state["q2"] == (False, 0) and state["q3"] == (False, 0) and state["q4"] == (False, 1)
