"""The README is the contract: its test command is exactly what CI runs."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def test_ci_runs_exactly_the_readmes_test_command():
    quick_start = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    install, test = re.findall(r"```bash\n(.+?)\n```", quick_start)
    assert "quest start value" in install
    assert "python -m pytest" in test
    ci_commands = [line for line in (ROOT / ".ci" / "run").read_text(encoding="utf-8").splitlines()
                   if line and not line.startswith("#")]
    assert test in ci_commands


def _readme_commands() -> tuple[str, str]:
    quick_start = (ROOT / "README.md").read_text(encoding="utf-8").split("## Quick start", 1)[1].split("\n## ", 1)[0]
    install, test = re.findall(r"```bash\n(.+?)\n```", quick_start)
    return install, test


def test_the_first_command_installs_starts_the_first_quest_and_ends_in_the_workspace(tmp_path):
    """A new user pastes the first command in a fresh clone: it must leave them in their workspace,
    not in the tool's clone (where `quest check` finds no workspace)."""
    import os
    import shutil
    import subprocess

    install, _ = _readme_commands()
    clone, home = tmp_path / "clone", tmp_path / "home"
    shutil.copytree(ROOT, clone, ignore=shutil.ignore_patterns(".venv", ".git", "build", "__pycache__", ".hypothesis"))
    home.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith(("VIRTUAL_ENV", "QUEST_", "PYTHON"))}
    env.update(HOME=str(home), QUEST_HOME=str(tmp_path / "progress"))
    # The user's shell: `cd` at the end of the command must be where they are left.
    run = subprocess.run(["bash", "-c", f"{install} && echo \"ENDED IN $PWD\" && quest check --task add-mul"],
                         cwd=clone, env=env, capture_output=True, text=True, timeout=900)
    workspace = home / "micrograd-quest"
    assert f"ENDED IN {workspace}" in run.stdout, run.stdout[-2000:] + run.stderr[-2000:]
    assert (workspace / "ugrad" / "engine.py").is_file() and not (clone / "ugrad").exists()
    assert "Next: cd ~/micrograd-quest" in run.stdout
    # From there the loop's first command works: the stubs fail add-mul (exit 1), no usage error.
    assert run.returncode == 1 and "add-mul" in run.stdout and "Traceback" not in run.stderr, run.stderr
