"""The CLI contract (DESIGN.md) exercised on the fixture course, as a learner would use it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, snapshot, write_engine
from ugrad_quest.cli.app import app

GOOD = BASICS_ENGINE


def commands():
    import typer.main

    group = typer.main.get_command(app)
    return sorted(group.commands)


def test_every_command_has_help(cli):
    names = commands()
    assert set(names) >= {"list", "start", "check", "watch", "hint", "profile", "log", "badges", "quiz", "config",
                          "export", "verify", "lint"}
    top = cli("--help")
    assert top.exit_code == 0
    assert cli().stdout == top.stdout  # `quest` alone shows the same help
    for name in names:
        result = cli(name, "--help")
        assert result.exit_code == 0, name
        assert "Usage: quest " + name in result.stdout
        doc = next(line for line in result.stdout.splitlines()[2:] if line.strip(" │"))
        assert len(doc.strip(" │")) > 10, f"{name} has no help text"


@pytest.mark.parametrize("columns", [60, 80, 100])
def test_help_reads_like_a_polished_cli_at_any_width(cli, monkeypatch, columns: int):
    """Plain metavars and no type labels, and every docstring paragraph and option help wrapped as one
    paragraph: no line broken early (the "exits / 0 if right" of quiz), no word split."""
    import inspect
    import re

    import typer.main

    from test_narrow import paragraph

    monkeypatch.setenv("COLUMNS", str(columns))
    group = typer.main.get_command(app)
    right = min(columns - 2, 78)  # help is as wide as the terminal, at most 78 columns
    for name in ["", *commands()]:
        command = group.commands[name] if name else group
        out = cli(*([name] if name else []), "--help").stdout
        lines = out.splitlines()
        assert lines[0].startswith(f"Usage: quest {name} [OPTIONS]".replace("  ", " ")), name
        assert not re.search(r"<[a-z][^>]*>|\[x[<>]=", out), f"quest {name} --help shows a type label:\n{out}"
        assert all(len(line) <= columns for line in lines), name
        for text in inspect.cleandoc(command.help).split("\n\n"):
            paragraph(lines, text, right)
        for param in command.params:
            if param.help:
                paragraph(lines, param.help, right)
    options = {line.strip().split("  ")[0] for line in cli("log", "--help").stdout.splitlines() if line.startswith("  -")}
    assert options == {"-n, --limit N", "--json", "-h, --help"}
    usage = {name: cli(name, "--help").stdout.splitlines()[0] for name in ("start", "check", "config", "export")}
    assert usage == {"start": "Usage: quest start [OPTIONS] QUEST", "check": "Usage: quest check [OPTIONS] [QUEST]",
                     "config": "Usage: quest config [OPTIONS] [KEY] [VALUE]", "export": "Usage: quest export [OPTIONS] FILE"}


def test_a_limit_below_one_is_one_sentence_exit_2(cli):
    result = cli("log", "--limit", "0")
    assert result.exit_code == 2 and result.stderr == "Error: --limit wants a number of awards, 1 or more; got 0.\n"


def test_escape_sequences_from_the_learner_code_are_shown_escaped(course, cli, tmp_path: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    (tmp_path / "ugrad" / "engine.py").write_text(
        'print("\\x1b[2J\\x1b]0;pwned\\x07 cleared")\n'
        "class Value:\n"
        "    def __init__(self, data):\n"
        '        raise ValueError("\\x1b[31mred\\x1b[0m \\x9b2J")\n')
    result = cli("check", cwd=tmp_path)
    assert result.exit_code == 1
    assert not any(ch in result.stdout for ch in "\x1b\x07\x9b")  # nothing reaches the terminal raw
    assert "\\x1b[2J\\x1b]0;pwned\\x07 cleared" in result.stdout  # the panel shows what was printed, escaped
    lines = result.stdout.splitlines()
    data = next(i for i, line in enumerate(lines) if " data " in line)
    assert lines[data + 1].startswith("    ValueError: \\x1b[31mred\\x1b[0m \\x9b2J (ugrad/engine.py, line 4)")
    as_json = json.loads(cli("check", "--json", cwd=tmp_path).stdout)
    assert as_json["tasks"][0]["message"].startswith("ValueError: \x1b[31mred")  # JSON keeps the text itself


def test_unknown_command_and_option_are_usage_errors(cli):
    assert cli("fly").exit_code == 2
    assert cli("list", "--colour").exit_code == 2


def test_list_shows_status_and_locks(course, cli):
    result = cli("list", "--json")
    assert result.exit_code == 0
    status = {q["id"]: q["status"] for q in json.loads(result.stdout)}
    assert status == {"basics": "available", "hangs": "available", "advanced": "locked"}
    text = cli("list").stdout
    assert "needs basics" in text


def test_start_scaffolds_and_never_overwrites(course, cli, tmp_path: Path):
    ws = tmp_path / "ws"
    result = cli("start", "basics", "--dir", str(ws))
    assert result.exit_code == 0, result.stderr
    assert (ws / "ugrad" / "engine.py").read_text() == (course / "basics/starter/ugrad/engine.py").read_text()
    assert json.loads((ws / ".ugrad-quest.json").read_text())["quests"] == ["basics"]
    (ws / "ugrad" / "engine.py").write_text(GOOD)
    before = snapshot(ws / "ugrad")
    again = cli("start", "basics", "--dir", str(ws))
    assert again.exit_code == 0
    assert "kept" in again.stdout and "not touched" in again.stdout
    assert snapshot(ws / "ugrad") == before
    assert {q["id"]: q["status"] for q in json.loads(cli("list", "--json").stdout)}["basics"] == "in progress"


def test_start_in_a_folder_with_the_package_keeps_it(course, cli, tmp_path: Path):
    write_engine(tmp_path, GOOD)
    before = snapshot(tmp_path)
    result = cli("start", "basics", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items() if k != ".ugrad-quest.json"} == before


def test_start_with_an_installed_package_scaffolds_nothing(course, cli, tmp_path: Path):
    pytest.importorskip("micrograd")
    result = cli("start", "basics", "--dir", str(tmp_path), "--package", "micrograd")
    assert result.exit_code == 0, result.stderr
    assert "installed package 'micrograd'" in result.stdout
    assert sorted(p.name for p in tmp_path.iterdir()) == [".ugrad-quest.json"]


@pytest.mark.parametrize("args,message", [
    (["start", "nope"], "There is no quest called 'nope' (known quests: basics, advanced, hangs)."),
    (["start", "advanced"], "Quest 'advanced' is locked: complete 'basics' first "
                            "(or start it with --force to check an existing implementation)."),
    (["start", "basics", "--package", "not-a-name"], "--package 'not-a-name' is not a valid Python package name."),
    (["start", "basics", "--lang", "go"], "--lang 'go' is not a language the quests check; choose one of python, rust."),
    (["start", "basics", "--lang", "rust"], "Quest 'basics' cannot be done in rust yet (it has no rust starter)."),
])
def test_start_bad_input_is_one_sentence_exit_2(course, cli, tmp_path: Path, args, message):
    result = cli(*args, cwd=tmp_path)
    assert result.exit_code == 2
    assert result.stderr.strip() == f"Error: {message}"
    assert list(tmp_path.iterdir()) == []


def test_force_starts_a_locked_quest_for_an_existing_implementation(course, cli, tmp_path: Path):
    write_engine(tmp_path, GOOD)
    result = cli("start", "advanced", "--force", cwd=tmp_path)
    assert result.exit_code == 0, result.stderr
    assert (tmp_path / "ugrad" / "extra.py").is_file()  # the later quest's starter file is added
    assert (tmp_path / "ugrad" / "engine.py").read_text() == GOOD


def test_start_dir_that_is_a_file(course, cli, tmp_path: Path):
    target = tmp_path / "file"
    target.write_text("x")
    result = cli("start", "basics", "--dir", str(target))
    assert result.exit_code == 2 and "is a file, not a folder" in result.stderr


def test_check_outside_a_workspace(course, cli, tmp_path: Path):
    result = cli("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert "is not inside a quest workspace" in result.stderr and "quest start value" in result.stderr


def test_check_loop_awards_once_and_reports_per_task(course, cli, tmp_path: Path):
    ws = tmp_path / "ws"
    cli("start", "basics", "--dir", str(ws))
    sub = ws / "ugrad"  # works from any subfolder of the workspace

    first = cli("check", "--json", cwd=sub)
    assert first.exit_code == 1
    data = json.loads(first.stdout)
    assert data["quest"] == "basics" and data["passed"] is False and data["xp_awarded"] == 0
    assert [(t["id"], t["status"], t["required"]) for t in data["tasks"]] == [
        ("data", "failed", True), ("double", "failed", True), ("extra", "failed", False)]
    assert data["tasks"][0]["message"] == (
        "NotImplementedError: Value.__init__ is not written yet (ugrad/engine.py, line 3)")

    (sub / "engine.py").write_text(GOOD.replace("return self.data * 2", "return 0"))
    partial = json.loads(cli("check", "--json", cwd=sub).stdout)
    assert [t["status"] for t in partial["tasks"]] == ["passed", "failed", "passed"]
    assert partial["badges_awarded"] == ["first-pass"]
    assert partial["xp_awarded"] == 10 + 7 + 10  # data, extra, and the First Spark badge (common)

    (sub / "engine.py").write_text(GOOD)
    done = cli("check", "--json", cwd=sub)
    assert done.exit_code == 0
    assert json.loads(done.stdout) == {
        "quest": "basics", "passed": True, "xp_awarded": 5 + 20 + 25, "badges_awarded": ["no-hints"], "notes": [],
        "complete": True, "next_quest": "advanced",
        "tasks": [
            {"id": "data", "title": "Data", "status": "passed", "required": True, "message": "", "xp_awarded": 0,
             "regressed": False},
            {"id": "double", "title": "Double", "status": "passed", "required": True, "message": "", "xp_awarded": 5,
             "regressed": False},
            {"id": "extra", "title": "Extra", "status": "passed", "required": False, "message": "extra said extra",
             "xp_awarded": 0, "regressed": False},
        ]}

    again = json.loads(cli("check", "--json", cwd=sub).stdout)
    assert again["passed"] is True and again["xp_awarded"] == 0

    profile = json.loads(cli("profile", "--json").stdout)
    assert profile["xp"] == 77
    assert (profile["level"], profile["xp_into_level"], profile["xp_for_level"]) == (4, 77 - 63, 124 - 63)
    assert profile["tasks_completed"] == 3 and profile["quests_completed"] == 1
    assert profile["streak"] == 1 and profile["longest_streak"] == 1
    assert profile["badges"] == ["no-hints", "first-pass"]
    assert profile["active_days"] == 1 and profile["freezes_held"] == 0
    assert set(profile) >= {"trainer", "badges", "quizzes"}

    listing = {q["id"]: q["status"] for q in json.loads(cli("list", "--json").stdout)}
    assert listing == {"basics": "complete", "hangs": "available", "advanced": "available"}


def test_check_text_report(course, cli, tmp_path: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    (tmp_path / "ugrad" / "engine.py").write_text(GOOD.replace("return self.data * 2", "return 0"))
    result = cli("check", cwd=tmp_path)
    assert result.exit_code == 1
    lines = result.stdout.splitlines()
    double = next(i for i, line in enumerate(lines) if " double " in line)
    assert lines[double].split() == ["✘", "double", "Double", "failed"]
    assert lines[double + 1].startswith("    Value(4).double() should be 8")  # the message under its task
    data = next(line for line in lines if " data " in line)
    assert data.split() == ["✔", "data", "Data", "+10", "XP"]
    assert "extra (bonus)" in result.stdout
    assert "Not there yet" in result.stdout


def test_what_the_learner_code_printed_is_shown_as_printed(course, cli, tmp_path: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    (tmp_path / "ugrad" / "engine.py").write_text('print("grads [1, 2] [bold]x[/bold]")\n' + GOOD)
    result = cli("check", cwd=tmp_path)
    assert "your code printed" in result.stdout
    assert "grads [1, 2] [bold]x[/bold]" in result.stdout


def test_check_single_task_and_unknown_task(course, cli, tmp_path: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    (tmp_path / "ugrad" / "engine.py").write_text(GOOD)
    one = cli("check", "--task", "double", "--json", cwd=tmp_path)
    assert one.exit_code == 0
    assert [t["id"] for t in json.loads(one.stdout)["tasks"]] == ["double"]
    bad = cli("check", "--task", "triple", cwd=tmp_path)
    assert bad.exit_code == 2
    assert bad.stderr.strip() == "Error: Quest 'basics' has no task 'triple' (tasks: data, double, extra)."


def test_check_a_quest_not_started_here(course, cli, tmp_path: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    result = cli("check", "hangs", cwd=tmp_path)
    assert result.exit_code == 2 and "not started in" in result.stderr


def test_hints_are_revealed_in_order(course, cli, tmp_path: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    asked = cli("hint", cwd=tmp_path)  # not a terminal: the price is shown, nothing is revealed
    assert asked.exit_code == 0
    assert "Hint 1/2 for data costs 2 XP of the task's 10" in asked.stdout and "quest hint --yes" in asked.stdout
    assert "Store data" not in asked.stdout
    first = cli("hint", "--yes")
    assert "Hint 1/2 for data" in first.stdout and "Store data in self.data." in first.stdout
    assert "-2 XP from data when it passes" in first.stdout
    second = cli("hint", "-y")
    assert "Hint 1/2: Store data in self.data." in second.stdout  # the earlier one again, free
    assert "Hint 2/2" in second.stdout and "self.data = data" in second.stdout
    assert "last hint" in second.stdout
    assert "Hint 2/2" in cli("hint").stdout  # all revealed: shown again without asking
    assert "Hint 1/1 for double" in cli("hint", "double", "--yes").stdout
    assert cli("hint", "nope").exit_code == 2

    (tmp_path / "ugrad" / "engine.py").write_text(GOOD)
    data = json.loads(cli("check", "--json").stdout)
    xp = {t["id"]: t["xp_awarded"] for t in data["tasks"]}
    assert xp == {"data": 10 - 4, "double": 5 - 1, "extra": 7}  # 2 hints: 20% each; 1 hint on double
    log = json.loads(cli("log", "--json").stdout)
    data_award = next(e for e in log if e["kind"] == "task" and e["subject"] == "data")
    assert data_award["xp"] == 6 and "passed on the first check with 2 hints, -4 XP" in data_award["review"]
    assert "with 2 hints, -4 XP" in " ".join(cli("log").stdout.split())


def test_damaged_database_stops_check_and_loses_nothing(course, cli, tmp_path: Path, quest_home: Path):
    ws = tmp_path / "ws"
    cli("start", "basics", "--dir", str(ws))
    (ws / "ugrad" / "engine.py").write_text(GOOD)
    db = quest_home / "progress.sqlite3"
    db.write_bytes(b"\x00garbage" * 500)
    files, data = snapshot(ws), db.read_bytes()
    for args in (["check"], ["profile"], ["start", "basics"], ["hint"], ["list"], ["log"], ["badges"],
                 ["quiz", "basics", "--answer", "2"], ["quiz", "basics"], ["config", "name", "Ada"], ["config"]):
        result = cli(*args, cwd=ws)
        assert result.exit_code == 2, args
        assert result.stderr.startswith("Error: The progress database") and "Traceback" not in result.stderr
        assert result.stderr.strip().count("\n") == 0
    assert snapshot(ws) == files and db.read_bytes() == data


def test_profile_card_for_a_fresh_trainer(cli, monkeypatch):
    result = cli("profile")
    assert result.exit_code == 0
    assert "Lv. 1" in result.stdout and "EXP 0 / 7" in result.stdout
    assert "No XP yet" in result.stdout


def test_locked_database_is_one_sentence_exit_2(course, cli, tmp_path: Path, quest_home: Path, monkeypatch):
    import sqlite3

    from ugrad_quest.store import db

    assert cli("profile").exit_code == 0  # creates the database
    monkeypatch.setattr(db, "BUSY_TIMEOUT_SECONDS", 0.2)
    holder = sqlite3.connect(quest_home / "progress.sqlite3", isolation_level=None)
    holder.execute("BEGIN EXCLUSIVE")
    try:
        result = cli("profile")
    finally:
        holder.execute("ROLLBACK")
        holder.close()
    assert result.exit_code == 2
    assert result.stderr.strip().endswith("is locked by another quest command or another program that has it open; "
                                          "try again when it has finished (nothing was changed).")


def test_damaged_workspace_marker(course, cli, tmp_path: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    (tmp_path / ".ugrad-quest.json").write_text("{not json")
    result = cli("check", cwd=tmp_path)
    assert result.exit_code == 2
    assert "The workspace marker" in result.stderr and "is damaged" in result.stderr
    assert (tmp_path / "ugrad" / "engine.py").exists()
