"""The first hour of a new learner: where `quest start` puts them, what it says next, when a quest is
complete, and what comes after it. Run on the fixture course through the real CLI."""

from __future__ import annotations

import json
from pathlib import Path

from conftest import BASICS_ENGINE, snapshot, write_engine

DATA_ONLY = "class Value:\n    def __init__(self, data):\n        self.data = data\n"
DOUBLE_ONLY = ("class Value:\n    def __init__(self, data):\n        self.data = data + 1\n"
               "    def double(self):\n        return (self.data - 1) * 2\n")


def _check(cli, ws: Path) -> tuple[int, dict, str]:
    as_json = cli("check", "--json", cwd=ws)
    text = cli("check", cwd=ws)  # the same verdicts as text: a second check awards nothing new
    return as_json.exit_code, json.loads(as_json.stdout), text.stdout


def test_start_outside_a_workspace_refuses_a_folder_with_other_files(course, cli, tmp_path: Path):
    project = tmp_path / "some-project"
    project.mkdir()
    (project / "pyproject.toml").write_text("[project]\n")
    before = snapshot(project)
    refused = cli("start", "basics", cwd=project)
    assert refused.exit_code == 2
    assert refused.stderr.startswith(f"Error: {project} is not a quest workspace and holds other files")
    assert "quest start basics --dir ~/micrograd-quest" in refused.stderr and "Traceback" not in refused.stderr
    assert snapshot(project) == before and not (project / "ugrad").exists()


def test_start_in_an_empty_folder_or_with_dir_scaffolds_there(course, cli, tmp_path: Path):
    empty = tmp_path / "empty"
    empty.mkdir()
    (empty / ".git").mkdir()  # a fresh repository counts as empty
    here = cli("start", "basics", cwd=empty)
    assert here.exit_code == 0, here.stderr
    assert (empty / "ugrad" / "engine.py").is_file() and "cd " not in here.stdout  # already there
    elsewhere = tmp_path / "elsewhere"
    there = cli("start", "basics", "--dir", str(elsewhere), cwd=tmp_path)
    assert there.exit_code == 0, there.stderr
    assert f"Next: cd {elsewhere}, edit ugrad/engine.py" in " ".join(there.stdout.split())


def test_outside_a_workspace_the_advice_names_the_last_workspace(course, cli, tmp_path: Path):
    lost = tmp_path / "lost"
    lost.mkdir()
    never = cli("check", cwd=lost)
    assert never.exit_code == 2
    assert "start one with `quest start value --dir ~/micrograd-quest`, then cd there" in never.stderr

    ws = tmp_path / "ws"
    cli("start", "basics", "--dir", str(ws), cwd=tmp_path)
    for command in (["check"], ["hint"], ["watch"]):
        result = cli(*command, cwd=lost)
        assert result.exit_code == 2, command
        assert f"cd {ws} (your last workspace) and run it there" in result.stderr, result.stderr
        assert list(lost.iterdir()) == []  # nothing scaffolded where the learner stood


def test_completion_needs_one_check_where_every_required_task_passes(course, cli, tmp_path: Path):
    ws = tmp_path / "ws"
    cli("start", "basics", "--dir", str(ws), cwd=tmp_path)
    write_engine(ws, DATA_ONLY)
    code, first, _ = _check(cli, ws)
    assert code == 1 and [t["status"] for t in first["tasks"][:2]] == ["passed", "failed"]

    # double passes now, but data fails: every required task has passed on SOME check, never on one.
    write_engine(ws, DOUBLE_ONLY)
    code, second, text = _check(cli, ws)
    tasks = {t["id"]: t for t in second["tasks"]}
    assert code == 1 and not second["complete"] and second["next_quest"] is None
    assert tasks["data"]["status"] == "failed" and tasks["data"]["regressed"]
    assert tasks["double"]["status"] == "passed" and not tasks["double"]["regressed"]
    assert "basics-complete" not in second["badges_awarded"]
    assert "Quest complete!" not in text and "Not there yet" in text
    assert "data passed before and fails now" in text
    assert any(line.split()[:2] == ["✘", "data"] and "failed (regressed)" in line for line in text.splitlines())
    listing = {q["id"]: q["status"] for q in json.loads(cli("list", "--json").stdout)}
    assert listing["basics"] == "in progress" and listing["advanced"] == "locked"

    write_engine(ws, BASICS_ENGINE)
    result = cli("check", cwd=ws)
    assert result.exit_code == 0
    out = " ".join(result.stdout.split())
    assert "Quest complete! +20 XP for finishing Basics." in out
    assert "Next quest: quest start advanced" in out
    assert {q["id"]: q["status"] for q in json.loads(cli("list", "--json").stdout)}["basics"] == "complete"


def test_a_partial_check_says_how_to_complete_the_quest(course, cli, tmp_path: Path):
    ws = tmp_path / "ws"
    cli("start", "basics", "--dir", str(ws), cwd=tmp_path)
    write_engine(ws, DATA_ONLY)
    cli("check", cwd=ws)
    write_engine(ws, BASICS_ENGINE)
    partial = cli("check", "--task", "double", cwd=ws)
    assert partial.exit_code == 0
    out = " ".join(partial.stdout.split())
    assert "Quest complete!" not in out
    assert "Every required task has passed, but not all on one check: run quest check (all tasks)" in out
    full = cli("check", cwd=ws)
    assert "Quest complete!" in full.stdout


def test_the_trainer_name_is_asked_at_the_first_start_in_a_terminal(course, cli, monkeypatch, tmp_path: Path):
    from ugrad_quest.cli import app

    monkeypatch.setattr(app, "interactive", lambda: True)
    first = cli("start", "basics", "--dir", str(tmp_path / "ws"), input="Grace Hopper\n", cwd=tmp_path)
    assert first.exit_code == 0 and "Your trainer name" in first.stdout
    assert json.loads(cli("profile", "--json").stdout)["trainer"] == "Grace Hopper"
    again = cli("start", "basics", "--dir", str(tmp_path / "ws"), cwd=tmp_path)
    assert "Your trainer name" not in again.stdout  # asked once
    shown = cli("profile")
    assert "Your trainer name" not in shown.stdout and "Grace Hopper" in shown.stdout


def test_without_a_terminal_the_name_is_gits_never_the_login_name(course, cli, monkeypatch, tmp_path: Path):
    fake_home = tmp_path / "home"
    fake_home.mkdir()
    monkeypatch.setenv("HOME", str(fake_home))
    monkeypatch.setenv("GIT_CONFIG_NOSYSTEM", "1")
    monkeypatch.setenv("USER", "root")
    monkeypatch.setenv("LOGNAME", "root")
    cli("start", "basics", "--dir", str(tmp_path / "ws"), cwd=tmp_path)
    assert json.loads(cli("profile", "--json").stdout)["trainer"] == "Trainer"
    (fake_home / ".gitconfig").write_text("[user]\n\tname = Ada Lovelace\n")
    assert json.loads(cli("profile", "--json").stdout)["trainer"] == "Ada Lovelace"
