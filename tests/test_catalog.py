"""The quest format: the real quests load, and a broken quest.yaml is reported by path and field."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from conftest import COURSE, ROOT
from ugrad_quest.catalog import FORMAT_VERSION, load_catalog, load_quest
from ugrad_quest.catalog.loader import QuestFileError
from ugrad_quest.catalog.models import Quest, Task

VALID = (COURSE / "basics" / "quest.yaml").read_text()


def test_real_quests_load_in_dependency_order():
    catalog = load_catalog(ROOT / "quests")
    ids = [q.id for q in catalog.quests]
    assert ids[0] == "value"
    value = catalog.get("value")
    assert [t.id for t in value.tasks] == ["add-mul", "more-ops", "relu", "tanh-exp", "backprop", "deep-graphs"]
    assert [t.id for t in value.tasks if not t.required] == ["deep-graphs"]
    assert all(t.hints and t.xp > 0 and t.timeout > 0 for t in value.tasks)


def test_every_model_field_is_documented():
    import ast
    import inspect

    from ugrad_quest.catalog import models

    tree = ast.parse(inspect.getsource(models))
    for cls in (Quest, Task):
        node = next(n for n in tree.body if isinstance(n, ast.ClassDef) and n.name == cls.__name__)
        body = node.body
        for i, stmt in enumerate(body):
            if isinstance(stmt, ast.AnnAssign):
                doc = body[i + 1] if i + 1 < len(body) else None
                assert isinstance(doc, ast.Expr) and isinstance(doc.value, ast.Constant), \
                    f"{cls.__name__}.{stmt.target.id} has no docstring"


BROKEN = [
    ("missing field", VALID.replace("title: Basics\n", ""), "title is missing"),
    ("wrong type", VALID.replace("xp: 20", "xp: lots"), "xp must be"),
    ("task field wrong", VALID.replace("    xp: 10\n", "    xp: ten\n"), "tasks[0].xp must be"),
    ("negative timeout", VALID.replace("timeout: 5\n", "timeout: -1\n", 1),
     "tasks[0].timeout must be between 0.1 and 3600 seconds, got -1"),
    ("huge timeout", VALID.replace("timeout: 5\n", "timeout: 1.0e+300\n", 1),
     "tasks[0].timeout must be between 0.1 and 3600 seconds, got 1e+300"),
    ("tiny timeout", VALID.replace("timeout: 5\n", "timeout: 1.0e-9\n", 1),
     "tasks[0].timeout must be between 0.1 and 3600 seconds, got 1e-09"),
    ("huge task xp", VALID.replace("    xp: 10\n", "    xp: 100000000000000000000\n", 1),
     "tasks[0].xp must be between 0 and 100000, got 100000000000000000000"),
    ("xp past a float", VALID.replace("xp: 20", "xp: 1" + "0" * 400), "xp is too large, got a 401-digit number"),
    ("huge question xp", VALID.replace("    xp: 20\n", "    xp: 1.0e+300\n"), "quiz[10].xp must be between 0 and 100000"),
    ("huge tolerance", VALID.replace("answer: 2}", "answer: 2, tolerance: 1.0e+300}"),
     "quiz[0].tolerance must be 0 or between 1e-12 and 1e+09, got 1e+300"),
    ("tiny tolerance", VALID.replace("answer: 2}", "answer: 2, tolerance: 1.0e-300}"),
     "quiz[0].tolerance must be 0 or between 1e-12 and 1e+09, got 1e-300"),
    ("answer past a float", VALID.replace("answer: 2}", "answer: 1" + "0" * 400 + "}"),
     "quiz[0].answer is too large, got a 401-digit number"),
    ("unknown field", VALID.replace("xp: 20", "xp: 20\ncolour: red"), "colour is not a known field"),
    ("duplicate task", VALID.replace("id: double", "id: data"), "tasks[1].id repeats"),
    ("future format", VALID.replace("format_version: 1", "format_version: 99"), "format_version is 99"),
    ("bad yaml", VALID + "\n  - : [unclosed\n", "is not valid YAML"),
    ("id mismatch", VALID.replace("id: basics", "id: other"), "id is 'other' but the folder is named 'basics'"),
    ("bad id", VALID.replace("id: data", "id: Data Task"), "tasks[0].id must use lowercase"),
    ("required not bool", VALID.replace("required: false", "required: maybe"), "tasks[2].required must be true or false"),
    ("hints not list", VALID.replace('hints: ["return self.data * 2"]', "hints: just one"), "tasks[1].hints must be a list"),
    ("not a mapping", "- just\n- a list\n", "must be a mapping"),
    ("unknown need", VALID.replace("needs: [data]", "needs: [nope]"), "tasks[2].needs[0] names 'nope'"),
]


@pytest.mark.parametrize("text,expected", [(t, e) for _, t, e in BROKEN], ids=[n for n, _, _ in BROKEN])
def test_broken_quest_yaml_names_file_and_field(tmp_path: Path, text: str, expected: str):
    quest_dir = tmp_path / "basics"
    quest_dir.mkdir()
    (quest_dir / "quest.yaml").write_text(text)
    with pytest.raises(QuestFileError) as err:
        load_quest(quest_dir)
    message = str(err.value)
    assert message.startswith(str(quest_dir / "quest.yaml")), message
    assert expected in message
    assert "\n" not in message


def test_unknown_requirement_and_cycles_are_reported(tmp_path: Path):
    for name, requires in (("a", "[b]"), ("b", "[a]")):
        (tmp_path / name).mkdir()
        (tmp_path / name / "quest.yaml").write_text(
            VALID.replace("id: basics", f"id: {name}").replace("requires: []", f"requires: {requires}"))
    with pytest.raises(QuestFileError, match="cycle"):
        load_catalog(tmp_path)
    (tmp_path / "b" / "quest.yaml").write_text(
        VALID.replace("id: basics", "id: b").replace("requires: []", "requires: [nope]"))
    with pytest.raises(QuestFileError, match=r"requires\[0\] names an unknown quest 'nope'"):
        load_catalog(tmp_path)


def test_cli_reports_broken_quest_as_one_line_exit_2(tmp_path: Path, cli, monkeypatch):
    course = tmp_path / "course"
    shutil.copytree(COURSE / "basics", course / "basics")
    (course / "basics" / "quest.yaml").write_text(VALID.replace("xp: 20", "xp: [1]"))
    monkeypatch.setenv("QUEST_QUESTS_DIR", str(course))
    result = cli("list")
    assert result.exit_code == 2
    assert result.stdout == ""
    assert result.stderr.strip().count("\n") == 0
    assert "basics/quest.yaml: xp must be a number, got [1]" in result.stderr
    assert "Traceback" not in result.stderr


def test_format_version_constant_matches_real_quests():
    for quest in load_catalog(ROOT / "quests").quests:
        assert quest.format_version == FORMAT_VERSION


# -- the cache of parsed quest files ------------------------------------------------------------------
def _basics(tmp_path: Path, text: str) -> Path:
    quest_dir = tmp_path / "basics"
    quest_dir.mkdir(exist_ok=True)
    (quest_dir / "quest.yaml").write_text(text)
    return quest_dir


def test_an_edited_quest_file_is_read_again_not_taken_from_the_cache(tmp_path: Path):
    quest_dir = _basics(tmp_path, VALID)
    assert load_quest(quest_dir).xp == 20
    assert list((Path(os.environ["QUEST_CACHE"]) / "quest-yaml").glob("*.json")), "the parse was not cached"
    (quest_dir / "quest.yaml").write_text(VALID.replace("xp: 20", "xp: 21"))
    assert load_quest(quest_dir).xp == 21
    assert load_quest(quest_dir).xp == 21  # and from the cache, the same


@pytest.mark.parametrize("damage", ["{not json", '{"text": "another file", "raw": {}}', '{"raw": {}}'])
def test_a_damaged_cache_entry_is_parsed_again(tmp_path: Path, damage: str):
    quest_dir = _basics(tmp_path, VALID)
    load_quest(quest_dir)
    entries = list((Path(os.environ["QUEST_CACHE"]) / "quest-yaml").glob("*.json"))
    assert entries
    for entry in entries:
        entry.write_text(damage)
    assert load_quest(quest_dir).xp == 20


def test_a_broken_file_is_reported_whether_or_not_a_good_one_was_cached(tmp_path: Path):
    quest_dir = _basics(tmp_path, VALID)
    load_quest(quest_dir)
    (quest_dir / "quest.yaml").write_text(VALID + "\n  - : [unclosed\n")
    with pytest.raises(QuestFileError, match="is not valid YAML"):
        load_quest(quest_dir)
