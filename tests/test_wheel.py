"""The installed tool works with no source checkout: quests ship inside the wheel."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import zipfile
from pathlib import Path

import pytest

from conftest import ROOT


@pytest.fixture(scope="module")
def wheel_install(tmp_path_factory) -> Path:
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-q", "-w", str(out), str(ROOT)],
                   check=True, capture_output=True, timeout=300)
    wheel = next(out.glob("ugrad_quest-*.whl"))
    target = out / "site"
    subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "-q", "--target", str(target), str(wheel)],
                   check=True, capture_output=True, timeout=300)
    return wheel, target


def test_wheel_contains_the_quests(wheel_install):
    wheel, _ = wheel_install
    names = zipfile.ZipFile(wheel).namelist()
    for quest in (ROOT / "quests").iterdir():
        for path in quest.rglob("*"):
            if path.is_file() and "__pycache__" not in path.parts:
                assert f"ugrad_quest/quests/{path.relative_to(ROOT / 'quests')}" in names
    assert not any(n.startswith("tests/") for n in names)


def test_installed_copy_runs_from_anywhere(wheel_install, tmp_path: Path, quest_home: Path):
    _, site = wheel_install
    env = {**os.environ, "PYTHONPATH": str(site), "QUEST_HOME": str(quest_home)}
    env.pop("QUEST_QUESTS_DIR", None)

    def quest(*args, cwd=tmp_path):
        return subprocess.run([sys.executable, "-m", "ugrad_quest", *args], cwd=cwd, env=env,
                              capture_output=True, text=True, timeout=120)

    where = subprocess.run([sys.executable, "-c", "import ugrad_quest, ugrad_quest.paths as p; "
                            "print(ugrad_quest.__file__); print(p.quests_dir())"],
                           cwd=tmp_path, env=env, capture_output=True, text=True, check=True).stdout.split()
    assert where[0].startswith(str(site)) and where[1].startswith(str(site))
    listing = quest("list", "--json")
    assert listing.returncode == 0, listing.stderr
    assert [q["id"] for q in json.loads(listing.stdout)][0] == "value"
    started = quest("start", "value", "--dir", str(tmp_path / "ws"))
    assert started.returncode == 0, started.stderr
    assert (tmp_path / "ws" / "ugrad" / "engine.py").is_file()
    checked = quest("check", "--task", "add-mul", "--json", cwd=tmp_path / "ws")
    assert checked.returncode == 1, checked.stderr
    assert json.loads(checked.stdout)["tasks"][0]["status"] == "failed"
