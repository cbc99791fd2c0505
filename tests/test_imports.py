"""`quest --help` and `quest list` must start fast: they never import SQLModel, pytest or hypothesis."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

HEAVY = ("sqlmodel", "sqlalchemy", "pytest", "_pytest", "hypothesis")

PROBE = """
import json, sys
sys.argv = ["quest", *json.loads(sys.argv[1])]
from ugrad_quest.cli.app import main
try:
    main()
except SystemExit as exc:
    code = exc.code
else:
    code = 0
heavy = sorted({m.split(".")[0] for m in sys.modules} & set(json.loads(sys.argv_heavy)))
print("HEAVY=" + json.dumps(heavy), "CODE=" + str(code), file=sys.stderr)
"""


@pytest.mark.parametrize("args", [["--help"], ["list"], ["list", "--json"], ["start", "--help"]])
def test_light_commands_do_not_import_heavy_modules(args, tmp_path):
    script = PROBE.replace("sys.argv_heavy", repr(json.dumps(HEAVY)))
    result = subprocess.run([sys.executable, "-c", script, json.dumps(args)], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    probe = result.stderr.strip().splitlines()[-1]
    assert "CODE=0" in probe, result.stderr
    assert "HEAVY=[]" in probe, f"quest {' '.join(args)} imported {probe}"


def test_probe_detects_heavy_imports(tmp_path):
    # The same probe on `quest profile` must see SQLModel, or the test above proves nothing.
    script = PROBE.replace("sys.argv_heavy", repr(json.dumps(HEAVY)))
    result = subprocess.run([sys.executable, "-c", script, json.dumps(["profile", "--json"])], cwd=tmp_path,
                            capture_output=True, text=True, timeout=60)
    assert '"sqlmodel"' in result.stderr.strip().splitlines()[-1]
