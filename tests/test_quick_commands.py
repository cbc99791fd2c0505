"""check, list and profile run without typer when their arguments are plain (cli/quick.py): what the
learner sees must not depend on which way a command went, and a check stopped with Ctrl-C records
nothing and leaves no process behind."""

from __future__ import annotations

import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, ctrl_c_reaches_it, quest_command, write_engine
from ugrad_quest.cli.quick import command


@pytest.mark.parametrize("argv, quick", [
    (["check"], True), (["check", "value", "--json", "-t", "relu", "--task", "tanh-exp"], True),
    (["list", "--json"], True), (["profile"], True), (["profile", "--json"], True),
    (["check", "--task=relu"], False), (["check", "-trelu"], False), (["check", "-t"], False),
    (["check", "-t", "--json"], False), (["check", "a", "b"], False), (["check", "--help"], False),
    (["list", "extra"], False), (["profile", "--svg", "card.svg"], False), (["--version"], False), ([], False),
    (["log"], False), (["check", "-h"], False),
])
def test_only_the_plain_forms_skip_typer(argv, quick):
    assert (command(argv) is not None) == quick


def _attempts(db: Path) -> int:
    conn = sqlite3.connect(db)
    try:
        return conn.execute("SELECT COUNT(*) FROM attempt").fetchone()[0]
    finally:
        conn.close()


def test_both_paths_print_the_same(course, cli, tmp_path: Path, quest_home: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    write_engine(tmp_path, BASICS_ENGINE.replace("return self.data * 2", "return self.data + 2"))
    first = quest_command("check", "--json", cwd=tmp_path)  # awards what passes: later checks award nothing
    assert first.returncode == 1
    for args in (["check", "--json"], ["check", "--json", "-t", "double"], ["list", "--json"], ["profile", "--json"],
                 ["check", "nosuch"], ["check", "-t", "triple"]):
        typed = cli(*args, cwd=tmp_path)
        quick = quest_command(*args, cwd=tmp_path)
        assert (quick.returncode, quick.stdout, quick.stderr) == (typed.exit_code, typed.stdout, typed.stderr), args
    assert _attempts(quest_home / "progress.sqlite3") == 5


def _processes_naming(path: Path) -> list[int]:
    found = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if str(path).encode() in (entry / "cmdline").read_bytes():
                    found.append(int(entry.name))
            except OSError:
                continue
    return found


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc")
def test_ctrl_c_during_a_check_records_nothing_and_leaves_no_process(course, cli, tmp_path: Path, quest_home: Path):
    cli("start", "basics", "--dir", str(tmp_path))
    write_engine(tmp_path, BASICS_ENGINE.replace("return self.data * 2", "import time; time.sleep(600)"))
    proc = subprocess.Popen([sys.executable, "-m", "ugrad_quest", "check"], cwd=tmp_path, env=dict(os.environ),
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            preexec_fn=ctrl_c_reaches_it)
    try:
        deadline = time.monotonic() + 120
        while not [p for p in _processes_naming(tmp_path) if p != proc.pid]:  # the judge's worker, at work
            assert time.monotonic() < deadline and proc.poll() is None, "the check never started a worker"
            time.sleep(0.05)
        time.sleep(0.5)  # into the sleeping test
        proc.send_signal(signal.SIGINT)
        out, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    assert (proc.returncode, err) == (130, "Interrupted: nothing was recorded.\n")
    assert "Traceback" not in out
    assert _attempts(quest_home / "progress.sqlite3") == 0
    deadline = time.monotonic() + 10
    while _processes_naming(tmp_path):
        assert time.monotonic() < deadline, f"left running: {_processes_naming(tmp_path)}"
        time.sleep(0.05)
