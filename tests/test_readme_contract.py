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
