"""The commands a learner runs most start fast: they load only what they use.

`quest --help` never imports SQLModel, pytest or hypothesis; `quest list` and `quest profile` do not
even load typer and pydantic (cli/quick.py); `quest check`'s own process loads neither pytest nor
hypothesis (its judge does) nor SQLAlchemy. Each probe runs the real entry point in a fresh
interpreter and lists what it imported.
"""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import BASICS_ENGINE, write_engine

DATABASE = ("sqlmodel", "sqlalchemy")
JUDGE = ("pytest", "_pytest", "hypothesis")
TYPER = ("typer", "pydantic", "pydantic_core")

# cli/main.py ends the process with os._exit once the command is done: the probe reports from there.
PROBE = """
import json, os, sys
sys.argv = ["quest", *json.loads(sys.argv[1])]
exit_now = os._exit

def report(code):
    loaded = sorted({m.split(".")[0] for m in sys.modules})
    print("LOADED=" + json.dumps(loaded), "CODE=" + str(code), file=sys.stderr, flush=True)
    exit_now(code)

os._exit = report
from ugrad_quest.cli.main import main
main()
"""


def loaded(args: list[str], cwd) -> tuple[set[str], str]:
    result = subprocess.run([sys.executable, "-c", PROBE, json.dumps(args)], cwd=cwd, capture_output=True,
                            text=True, timeout=120)
    probe = result.stderr.strip().splitlines()[-1]
    modules, code = probe.removeprefix("LOADED=").rsplit(" CODE=", 1)
    return set(json.loads(modules)), code


@pytest.mark.parametrize("args", [["--help"], ["start", "--help"]])
def test_help_does_not_import_the_store_or_the_judge(args, tmp_path):
    modules, code = loaded(args, tmp_path)
    assert code == "0"
    assert not modules & {*DATABASE, *JUDGE}, f"quest {' '.join(args)} imported {modules & {*DATABASE, *JUDGE}}"


@pytest.mark.parametrize("args", [["list"], ["list", "--json"], ["profile"], ["profile", "--json"]])
def test_list_and_profile_load_neither_typer_nor_the_store_models(args, tmp_path):
    modules, code = loaded(args, tmp_path)
    assert code == "0"
    heavy = modules & {*DATABASE, *JUDGE, *TYPER}
    assert not heavy, f"quest {' '.join(args)} imported {heavy}"


def test_checks_own_process_loads_neither_the_judge_nor_typer(course, cli, tmp_path):
    cli("start", "basics", "--dir", str(tmp_path))
    write_engine(tmp_path, BASICS_ENGINE)
    modules, code = loaded(["check", "--json"], tmp_path)
    assert code == "0"  # every task passed, so the judge ran
    heavy = modules & {*DATABASE, *JUDGE, *TYPER}
    assert not heavy, f"quest check imported {heavy}"


def test_probe_detects_heavy_imports(tmp_path):
    # quest log goes through typer, which parses with pydantic: the probe must see them there, or the
    # tests above prove nothing.
    modules, code = loaded(["log", "--json"], tmp_path)
    assert code == "0"
    assert {"typer", "pydantic"} <= modules
