"""Shared fixtures. No test ever touches the real home directory: QUEST_HOME is always a temp dir."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from typer.testing import CliRunner

from ugrad_quest.cli.app import app

ROOT = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
COURSE = FIXTURES / "course"
ENGINES = FIXTURES / "engines"


# A correct learner engine for the fixture course (quests basics and hangs).
BASICS_ENGINE = """
class Value:
    def __init__(self, data):
        self.data = data
    def double(self):
        return self.data * 2
    def extra(self):
        return "extra"
    def spin(self):
        while True:
            try:
                pass
            except Exception:  # learner code swallowing everything must not stop the timeout
                pass
    def nap(self):
        import time
        time.sleep(1000)
"""


@pytest.fixture(scope="session", autouse=True)
def rust_cache(tmp_path_factory) -> Iterator[Path]:
    """One cache folder (Rust driver builds, parsed quest files) across the session, never the user's
    ~/.cache: set for the whole session, so session-scoped fixtures' commands use it too."""
    cache = tmp_path_factory.mktemp("rust-cache")
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("QUEST_CACHE", str(cache))
        yield cache


@pytest.fixture(autouse=True)
def quest_home(tmp_path_factory, monkeypatch, rust_cache) -> Path:
    home = tmp_path_factory.mktemp("quest-home")
    monkeypatch.setenv("QUEST_HOME", str(home))
    monkeypatch.setenv("QUEST_CACHE", str(rust_cache))
    monkeypatch.delenv("QUEST_QUESTS_DIR", raising=False)
    monkeypatch.delenv("QUEST_NOW", raising=False)
    return home


@pytest.fixture
def course(monkeypatch) -> Path:
    """Use the tiny fixture course instead of the real quests."""
    monkeypatch.setenv("QUEST_QUESTS_DIR", str(COURSE))
    return COURSE


class Cli:
    """Runs `quest ...` in-process (learner code still runs in the runner's child process)."""

    def __init__(self, monkeypatch):
        self.monkeypatch = monkeypatch
        self.runner = CliRunner()

    def __call__(self, *args: str, cwd: Path | None = None, input: str | None = None):
        if cwd is not None:
            self.monkeypatch.chdir(cwd)
        return self.runner.invoke(app, list(args), input=input, catch_exceptions=False)


@pytest.fixture
def cli(monkeypatch) -> Cli:
    return Cli(monkeypatch)


def quest_command(*args: str, cwd: Path, env: dict | None = None, timeout: float = 180):
    """Run the real console entry point in a subprocess, as a learner's shell would."""
    import subprocess

    full_env = {**os.environ, **(env or {})}
    return subprocess.run([sys.executable, "-m", "ugrad_quest", *args], cwd=cwd, env=full_env,
                          capture_output=True, text=True, timeout=timeout)


def ctrl_c_reaches_it() -> None:
    """preexec_fn for a child a test sends Ctrl-C (SIGINT): as from a terminal, even when the tests run as a
    background job, whose shell started them with SIGINT ignored (and Python keeps an ignored SIGINT)."""
    import signal

    signal.signal(signal.SIGINT, signal.SIG_DFL)


def write_engine(root: Path, source: str, package: str = "ugrad") -> Path:
    pkg = root / package
    pkg.mkdir(parents=True, exist_ok=True)
    (pkg / "__init__.py").write_text("", encoding="utf-8")
    (pkg / "engine.py").write_text(source, encoding="utf-8")
    return pkg / "engine.py"


def snapshot(root: Path) -> dict[str, bytes]:
    """Every file under root with its bytes: to prove a command left the learner's files alone."""
    return {str(p.relative_to(root)): p.read_bytes() for p in sorted(root.rglob("*")) if p.is_file()}
