"""`quest profile --html/--svg`: the SVG card's content, and saving cards without destroying anyone's file.

The web page itself is read in a real browser in test_html_card.py.
"""

from __future__ import annotations

import dataclasses
import os
import re
import xml.etree.ElementTree as ET
from pathlib import Path

import pytest

from test_card import BADGES, a_year, fresh, midway
from ugrad_quest.render.html_card import html_card
from ugrad_quest.render.svg_card import svg_card
from ugrad_quest.services.card_file import MARKER

SVG = "{http://www.w3.org/2000/svg}"
NOT_OURS = "exists and is not a ugrad-quest card; choose another path or delete it."


def drawn_text(svg: str) -> list[str]:
    """The text an SVG card draws (not its <title>, <desc> or <style>), one string per <text>."""
    root = ET.fromstring(svg.encode("utf-8"))
    return ["".join(t.itertext()) for t in root.iter(f"{SVG}text")]


def wrote(result, kind: str, path: Path) -> None:
    """The one line a successful save prints, with the size of what is now on disk."""
    size = path.stat().st_size
    shown = f"{size} bytes" if size < 1024 else f"{size / 1024:.1f} KB"
    assert f"Wrote {kind} to {path} ({shown})\n" in result.stdout


# --- the SVG card --------------------------------------------------------------------------------

def test_svg_card_is_a_495_by_195_svg_showing_level_exp_and_counts():
    p = midway()
    svg = svg_card(p)
    root = ET.fromstring(svg.encode("utf-8"))
    assert root.tag == f"{SVG}svg" and (root.get("width"), root.get("height")) == ("495", "195")
    assert root.get("viewBox") == "0 0 495 195"
    texts = drawn_text(svg)
    assert texts[:2] == ["Grace Hopper", "Keeper of Graphs"]
    assert "Lv. 7" in texts and "EXP 38 / 169" in texts and "380 XP in total" in texts
    pairs = dict(zip(texts, texts[1:]))
    assert pairs["Tasks"] == "8/30" and pairs["Streak"] == "3 days" and pairs["Badges"] == "3/14 ★"
    assert "Chainling" in texts and "partner · stage 2" in texts
    # The EXP bar: 38 of 169 over 290 units.
    fill = next(r for r in root.iter(f"{SVG}rect") if r.get("class") == "fill")
    assert fill.get("width") == str(round(290 * 38 / 169))
    assert svg.splitlines()[1] == MARKER


def test_svg_card_of_a_fresh_trainer_has_an_empty_bar_and_a_hatchling():
    root = ET.fromstring(svg_card(fresh()).encode("utf-8"))
    fill = next(r for r in root.iter(f"{SVG}rect") if r.get("class") == "fill")
    assert fill.get("width") == "0"
    texts = drawn_text(svg_card(fresh()))
    assert "Lv. 1" in texts and "EXP 0 / 7" in texts and "Nablet" in texts and "Scalar Scout" in texts
    assert "Badges" in texts and texts[texts.index("Badges") + 1] == "0/14"


def test_svg_card_escapes_text_and_cuts_long_names():
    p = dataclasses.replace(midway(), trainer='<b>"Ada" & Co</b>', title="<script>x</script>")
    texts = drawn_text(svg_card(p))
    assert texts[:2] == ['<b>"Ada" & Co</b>', "<script>x</script>"]
    long = dataclasses.replace(midway(), trainer="Maximilian Alexander von Humboldt-Gradientenstein")
    name = drawn_text(svg_card(long))[0]
    assert name.endswith("…") and len(name) <= 26 and name.startswith("Maximilian Alexander")


@pytest.mark.parametrize("make", [fresh, midway, a_year])
def test_cards_refer_to_nothing_outside_themselves(make):
    svg = svg_card(make())
    root = ET.fromstring(svg.encode("utf-8"))
    attributes = [v for el in root.iter() for k, v in el.attrib.items() if k.endswith("href")]
    assert attributes == [] and "url(" not in svg and "<image" not in svg and "<script" not in svg
    page = html_card(dataclasses.replace(make(), all_badges=BADGES))
    assert "http" not in page.replace('xmlns="http://www.w3.org/2000/svg"', "")
    assert "<script" not in page and "<link" not in page and "url(" not in page and "@import" not in page
    assert page.splitlines()[:2] == ["<!DOCTYPE html>", MARKER]


# --- saving --------------------------------------------------------------------------------------

def test_profile_writes_html_and_svg_and_says_so(cli, tmp_path):
    html, svg = tmp_path / "card.html", tmp_path / "card.svg"
    result = cli("profile", "--html", str(html), "--svg", str(svg))
    assert result.exit_code == 0, result.stderr
    assert len(result.stdout.splitlines()) == 2 and result.stderr == ""
    wrote(result, "trainer card", html)
    wrote(result, "SVG card", svg)
    assert "<h1 class=\"name\">" in html.read_text(encoding="utf-8")
    ET.parse(svg)
    assert sorted(p.name for p in tmp_path.iterdir()) == ["card.html", "card.svg"]  # no temp files left
    umask = os.umask(0)
    os.umask(umask)
    assert html.stat().st_mode & 0o777 == 0o666 & ~umask  # readable like any file the user makes


def test_a_card_of_ours_is_replaced_with_the_new_one(cli, tmp_path):
    html, svg = tmp_path / "card.html", tmp_path / "card.svg"
    cli("config", "name", "First Name")
    assert cli("profile", "--html", str(html), "--svg", str(svg)).exit_code == 0
    cli("config", "name", "Second Name")
    again = cli("profile", "--html", str(html), "--svg", str(svg))
    assert again.exit_code == 0, again.stderr
    assert "Second Name" in html.read_text(encoding="utf-8") and "First Name" not in html.read_text(encoding="utf-8")
    assert drawn_text(svg.read_text(encoding="utf-8"))[0] == "Second Name"


@pytest.mark.parametrize("option", ["--html", "--svg"])
def test_someone_elses_file_is_never_overwritten(cli, tmp_path, option):
    mine = tmp_path / "index.html"
    mine.write_bytes(b"<html>my own page, not a card</html>\n")
    result = cli("profile", option, str(mine))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"Error: {mine} {NOT_OURS}\n"
    assert mine.read_bytes() == b"<html>my own page, not a card</html>\n"
    assert [p.name for p in tmp_path.iterdir()] == ["index.html"]


def test_one_bad_path_stops_both_cards_before_either_is_written(cli, tmp_path):
    mine, svg = tmp_path / "notes.txt", tmp_path / "card.svg"
    mine.write_text("my notes", encoding="utf-8")
    result = cli("profile", "--html", str(tmp_path / "card.html"), "--svg", str(mine))
    assert result.exit_code == 2 and result.stderr == f"Error: {mine} {NOT_OURS}\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["notes.txt"] and not svg.exists()


def test_a_missing_folder_or_a_folder_as_the_file_is_a_usage_error(cli, tmp_path):
    target = tmp_path / "nowhere" / "card.html"
    result = cli("profile", "--html", str(target))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == f"Error: Cannot write {target}: the folder {target.parent} does not exist.\n"
    assert not target.parent.exists()
    folder = tmp_path / "cards"
    folder.mkdir()
    result = cli("profile", "--svg", str(folder))
    assert result.exit_code == 2
    assert result.stderr == f"Error: {folder} is a folder; give a file path such as {folder / 'card.html'}.\n"
    assert list(folder.iterdir()) == []


def test_json_and_a_card_file_are_not_given_together(cli, tmp_path):
    result = cli("profile", "--json", "--html", str(tmp_path / "card.html"))
    assert result.exit_code == 2 and result.stdout == ""
    assert result.stderr == "Error: --json prints the card's data to stdout; give it without --html and --svg.\n"
    same = cli("profile", "--html", str(tmp_path / "card"), "--svg", str(tmp_path / "card"))
    assert same.exit_code == 2 and same.stderr == "Error: --html and --svg need two different files.\n"
    assert list(tmp_path.iterdir()) == []


def test_a_file_that_mentions_the_marker_late_is_not_ours(cli, tmp_path):
    # Only a card carries the marker near its top; a long page that quotes it further down is someone's page.
    page = tmp_path / "blog.html"
    page.write_text("<p>" + "x" * 10_000 + "</p>" + MARKER, encoding="utf-8")
    before = page.read_bytes()
    assert cli("profile", "--html", str(page)).exit_code == 2 and page.read_bytes() == before


def test_profile_help_names_the_card_files(cli):
    text = " ".join(cli("profile", "--help").stdout.split())
    assert "--html" in text and "--svg" in text and "self-contained web page" in text
    assert re.search(r"--svg\s+FILE", cli("profile", "--help").stdout)
