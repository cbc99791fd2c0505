"""`quest profile --html`, opened in a real headless Chromium and read as a visitor sees it.

The profile is played through the CLI over simulated days (QUEST_NOW) on the fixture course: a week of
quiz answers (a freeze earned), a day the freeze covers, a passing check, then two days that break a
streak. The browser is the system's Chromium (scripts/ensure-chromium), never one Playwright downloads.
Screenshots at 1280 and 390 px land in build/screenshots/ for a person to look at.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import re
import shutil
import struct
from pathlib import Path

import pytest

from conftest import BASICS_ENGINE, COURSE, ROOT, Cli
from ugrad_quest.render.creature_art import picture
from ugrad_quest.render.heatmap import first_monday
from ugrad_quest.rules.creature import creature_for

SCREENSHOTS = ROOT / "build" / "screenshots"
TODAY = dt.date(2026, 3, 18)  # a Wednesday
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]


def find_chromium() -> str:
    for candidate in (os.environ.get("CHROMIUM"), "chromium", "chromium-browser", "google-chrome"):
        if candidate and (path := shutil.which(candidate)):
            return path
    pytest.fail("no Chromium found: run scripts/ensure-chromium", pytrace=False)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    executable = find_chromium()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield chromium
        chromium.close()


def play(cli: Cli, mp: pytest.MonkeyPatch, workspace: Path) -> None:
    """Three weeks of a learner's March 2026, in New York."""
    def on(moment: str) -> None:
        mp.setenv("QUEST_NOW", moment)

    def answer(question: str, reply: str) -> None:
        assert cli("quiz", "basics", "--question", question, "--answer", reply).exit_code == 0

    mp.setenv("TZ", "America/New_York")
    for i in range(7):  # Mon 2 to Sun 8 March: a week in a row earns a freeze
        on(f"2026-03-{2 + i:02d}T20:00:00")
        answer(f"q{i + 1}", str(i + 2))
    # Mon 9 skipped: the freeze covers it. Tue 10: the whole basics quest passes on the first check.
    on("2026-03-10T09:00:00")
    assert cli("start", "basics", "--dir", str(workspace)).exit_code == 0
    (workspace / "ugrad" / "engine.py").write_text(BASICS_ENGINE, encoding="utf-8")
    assert cli("check", cwd=workspace).exit_code == 0
    # Wed 11 and Thu 12 skipped, no freeze left: the 11th breaks the streak.
    on("2026-03-13T18:00:00")
    answer("q8", "9")
    on("2026-03-14T18:00:00")
    answer("q9", "10")
    # Sun 15 skipped: missed again. Mon 16 and Tue 17 start a new streak, still alive on Wed 18.
    on("2026-03-16T18:00:00")
    answer("q10", "11")
    on("2026-03-17T18:00:00")
    assert cli("quiz", "basics", "--question", "pick", "--answer", "a").exit_code == 1
    answer("pick", "b")
    on("2026-03-18T08:30:00")


@pytest.fixture(scope="module")
def played(tmp_path_factory):
    """The played profile: its --html and --svg files, `profile --json` and `log --json`, as of TODAY."""
    home = tmp_path_factory.mktemp("played-home")
    out = tmp_path_factory.mktemp("cards")
    with pytest.MonkeyPatch.context() as mp:
        mp.setenv("QUEST_HOME", str(home))
        mp.setenv("QUEST_QUESTS_DIR", str(COURSE))
        cli = Cli(mp)
        play(cli, mp, tmp_path_factory.mktemp("workspace"))
        assert cli("config", "name", "Grace Hopper").exit_code == 0
        written = cli("profile", "--html", str(out / "card.html"), "--svg", str(out / "card.svg"))
        assert written.exit_code == 0, written.stderr
        data = json.loads(cli("profile", "--json").stdout)
        log = json.loads(cli("log", "--json").stdout)
    return {"html": out / "card.html", "svg": out / "card.svg", "data": data, "log": log,
            "stdout": written.stdout}


def open_card(browser, path: Path, width: int, requests: list[str] | None = None):
    page = browser.new_page(viewport={"width": width, "height": 900}, device_scale_factor=1)
    if requests is not None:
        page.on("request", lambda r: requests.append(r.url))
    page.goto(path.as_uri())
    return page


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()[:24]
    assert data[:8] == b"\x89PNG\r\n\x1a\n" and data[12:16] == b"IHDR"
    return struct.unpack(">II", data[16:24])


# --- what the page says --------------------------------------------------------------------------

def test_the_play_produced_the_profile_the_page_is_checked_against(played):
    data = played["data"]
    assert data["trainer"] == "Grace Hopper"
    assert data["missed_days"] == ["2026-03-11", "2026-03-15"] and data["frozen_days"] == ["2026-03-09"]
    assert (data["streak"], data["longest_streak"], data["freezes_held"]) == (2, 8, 0)
    assert {"streak-3", "streak-7", "first-pass"} <= set(data["badges"])
    assert re.fullmatch(r"Wrote trainer card to .*card\.html \(\d+\.\d KB\)\nWrote SVG card to .*card\.svg "
                        r"\(\d+\.\d KB\)\n", played["stdout"])


def test_the_page_shows_trainer_level_exp_and_summary(browser, played):
    data = played["data"]
    page = open_card(browser, played["html"], 1280)
    trainer = page.locator("section.trainer")
    assert page.locator("h1").inner_text() == "Grace Hopper"
    text = trainer.inner_text()
    assert f"Lv. {data['level']}" in text
    assert f"EXP {data['xp_into_level']} / {data['xp_for_level']}" in text
    assert f"{data['xp']} XP in total" in text
    stats = dict(line.split("\n", 1) for line in page.locator(".stat").all_inner_texts())
    assert stats["TASKS"] == f"{data['tasks_completed']}/{data['tasks_total']}"
    assert stats["QUESTS"] == f"{data['quests_completed']}/{data['quests_total']}"
    assert stats["STREAK"] == "2 days\nbest 8"  # no freeze held: the only one was spent on 9 March
    assert stats["BADGES"] == f"{len(data['badges'])}/{data['badges_total']}"
    assert stats["QUIZZES"] == f"{data['quizzes']}/{data['quizzes_total']}"
    assert stats["ACTIVE DAYS"] == str(data["active_days"]) == "12"
    bar = page.locator(".bar span").bounding_box()["width"] / page.locator(".bar").bounding_box()["width"]
    assert bar == pytest.approx(data["xp_into_level"] / data["xp_for_level"], abs=0.01)
    partner = page.locator("section.partner")
    assert partner.locator("pre.art").is_visible()
    creature = creature_for(data["level"])
    assert f"{creature.name}\n\nStage {creature.stage + 1} of 4 · evolves at Lv. {creature.next_stage_level}" \
        in partner.inner_text()
    assert picture(creature.stage).lines[1].strip() in partner.locator("pre.art").inner_text()


def test_the_heatmap_has_one_cell_per_day_with_missed_and_frozen_days_marked(browser, played):
    data = played["data"]
    page = open_card(browser, played["html"], 1280)
    cells = page.locator("svg.heat rect[data-date]")
    start = first_monday(TODAY, 53)
    assert cells.count() == (TODAY - start).days + 1 == 52 * 7 + 3  # 52 full weeks and Mon-Wed of this one
    dates = cells.evaluate_all("rs => rs.map(r => r.dataset.date)")
    assert dates[0] == start.isoformat() and dates[-1] == TODAY.isoformat() and len(set(dates)) == len(dates)
    missed = page.locator('svg.heat rect[data-mark="missed"]')
    assert missed.evaluate_all("rs => rs.map(r => r.dataset.date)") == data["missed_days"]
    assert page.locator("svg.heat path.cross").count() == len(data["missed_days"]) == 2
    assert all(c.is_visible() for c in page.locator("svg.heat path.cross").all())
    frozen = page.locator('svg.heat rect[data-mark="frozen"]')
    assert frozen.evaluate_all("rs => rs.map(r => r.dataset.date)") == data["frozen_days"]
    # Each day's tooltip and data, from the same numbers `profile --json` reports.
    busiest = max(data["heatmap"], key=data["heatmap"].get)
    for day, xp in data["heatmap"].items():
        cell = page.locator(f'svg.heat rect[data-date="{day}"]')
        assert cell.get_attribute("data-xp") == str(xp)
        assert cell.locator("title").text_content() == f"{day}: {xp} XP"
        assert cell.get_attribute("data-level") in {"1", "2", "3", "4"}
    assert page.locator(f'rect[data-date="{busiest}"]').get_attribute("data-level") == "4"
    assert page.locator('rect[data-date="2026-03-11"] title').text_content() == "2026-03-11: missed"
    assert page.locator('rect[data-date="2026-03-12"]').get_attribute("data-level") == "0"
    levels = {c for c in cells.evaluate_all("rs => rs.map(r => getComputedStyle(r).fill)")}
    assert len(levels) >= 4  # empty, missed, frozen and at least one level of XP look different
    months = page.locator("svg.heat text.axis").all_text_contents()
    assert months == ["Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec", "Jan", "Feb", "Mar"]
    assert page.locator("svg.weekdays text").all_text_contents() == ["Mon", "Wed", "Fri"]
    legend = page.locator(".legend").inner_text()
    assert "Less" in legend and "More" in legend and "Missed" in legend and "Frozen" in legend


def test_badges_show_tiers_and_the_unearned_are_dimmed(browser, played):
    page = open_card(browser, played["html"], 1280)
    earned = {b.locator(".badge-name").inner_text(): b for b in page.locator(".badge.earned").all()}
    assert {"Warm Gradient", "Week of Gradients"} <= set(earned)
    assert earned["Warm Gradient"].locator(".tier").inner_text() == "COMMON"  # "Common", upper-cased by CSS
    assert earned["Week of Gradients"].locator(".tier").inner_text() == "RARE"
    assert "Earned 2026-03-08" in earned["Week of Gradients"].inner_text()
    assert len(earned) == len(played["data"]["badges"])
    locked = page.locator(".badge.locked")
    assert locked.count() == played["data"]["badges_total"] - len(earned) > 0
    chain = page.locator(".badge.locked", has_text="Unbroken Chain")
    assert chain.is_visible() and "Not yet earned" in chain.inner_text() and "ULTIMATE" in chain.inner_text()

    def look(badge) -> tuple[float, str]:
        return badge.evaluate("b => [Number(getComputedStyle(b).opacity), getComputedStyle(b.querySelector('.tier')).color]")

    assert look(chain)[0] < 0.7 and look(earned["Warm Gradient"])[0] == 1
    assert look(earned["Warm Gradient"])[1] != look(earned["Week of Gradients"])[1]  # tiers differ in colour too
    # Earned first, newest first.
    names = page.locator(".badge .badge-name").all_inner_texts()
    assert names.index("Week of Gradients") < names.index("Warm Gradient") < names.index("Unbroken Chain")


def test_the_log_shows_the_latest_awards_with_their_reviews(browser, played):
    page = open_card(browser, played["html"], 1280)
    entries = page.locator("section.latest li")
    latest = played["log"][:10]
    assert len(played["log"]) > 10 and entries.count() == 10
    heads = entries.locator(".entry-head").all_inner_texts()
    assert [re.sub(r"\s+", " ", h) for h in heads] == [
        f"{e['date']} +{e['xp']} XP {e['kind']} · {e['quest']}" if e["quest"] else f"{e['date']} +{e['xp']} XP {e['kind']}"
        for e in latest]
    reviews = entries.locator(".review").all_inner_texts()
    for shown, entry in zip(reviews, latest):
        want = " ".join(entry["review"].split())
        assert shown == want or (entry["kind"] == "badge" and shown[1:].strip() == want), (shown, want)
    assert any(r.startswith("Completed Basics in") for r in reviews)
    assert page.locator(".review", has_text="Completed Basics in").is_visible()


# --- layout and screenshots ----------------------------------------------------------------------

def test_phone_width_has_no_horizontal_scroll_and_desktop_uses_the_width(browser, played):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    wide, narrow = SCREENSHOTS / "card-1280.png", SCREENSHOTS / "card-390.png"
    for shot in (wide, narrow):
        shot.unlink(missing_ok=True)

    phone = open_card(browser, played["html"], 390)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 390
    box = phone.locator(".heat-box")
    # The heatmap keeps legible cells and scrolls in its own box, showing the latest weeks first.
    assert box.evaluate("b => b.scrollWidth > b.clientWidth")
    assert phone.locator(f'rect[data-date="{TODAY.isoformat()}"]').bounding_box()["x"] < 390
    cell = phone.locator(f'rect[data-date="{TODAY.isoformat()}"]').bounding_box()
    assert cell["width"] >= 8
    assert phone.locator("svg.weekdays").is_visible()
    for sel in ("h1", "section.partner pre.art", ".bar", "section.badges", "section.latest"):
        b = phone.locator(sel).bounding_box()
        assert b["x"] >= 0 and b["x"] + b["width"] <= 390, sel
    phone.screenshot(path=str(narrow), full_page=True)

    desk = open_card(browser, played["html"], 1280)
    assert desk.evaluate("document.documentElement.scrollWidth") <= 1280
    partner, trainer = (desk.locator(s).bounding_box() for s in ("section.partner", "section.trainer"))
    assert partner["x"] + partner["width"] <= trainer["x"] and partner["y"] == trainer["y"]  # side by side
    badges, latest = (desk.locator(s).bounding_box() for s in ("section.badges", "section.latest"))
    assert badges["x"] + badges["width"] <= latest["x"] and badges["y"] == latest["y"]
    assert desk.locator(".heat-box").evaluate("b => b.scrollWidth <= b.clientWidth")  # the whole year in view
    heat_wide = desk.locator("svg.heat").bounding_box()["width"]
    assert heat_wide > 2 * box.bounding_box()["width"] and heat_wide > 800
    desk.screenshot(path=str(wide), full_page=True)

    assert png_size(wide)[0] == 1280 and png_size(wide)[1] > 900
    assert png_size(narrow)[0] == 390 and png_size(narrow)[1] > png_size(wide)[1]


def test_the_svg_card_renders_in_the_browser(browser, played):
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    shot = SCREENSHOTS / "card-svg.png"
    page = browser.new_page(viewport={"width": 495, "height": 195}, device_scale_factor=1)
    page.goto(played["svg"].as_uri())
    svg = page.locator("svg").first
    assert svg.bounding_box() == {"x": 0, "y": 0, "width": 495, "height": 195}
    shown = page.locator("svg > text").all_text_contents()  # not <title>/<desc>: what is drawn
    data = played["data"]
    assert shown[:2] == ["Grace Hopper", data["title"]]
    assert f"Lv. {data['level']}" in shown and f"EXP {data['xp_into_level']} / {data['xp_for_level']}" in shown
    for label in ("Tasks", "Streak", "Badges"):
        assert page.locator("text", has_text=label).first.is_visible()
    shot.unlink(missing_ok=True)
    page.screenshot(path=str(shot))
    assert png_size(shot) == (495, 195)


# --- safety --------------------------------------------------------------------------------------

def test_the_page_loads_nothing_but_itself(browser, played):
    raw = played["html"].read_text(encoding="utf-8")
    assert raw.startswith("<!DOCTYPE html>\n<!-- ugrad-quest trainer card -->\n")
    lowered = raw.lower()
    for forbidden in ("http://", "https://", "<script", "<link", "@import", "<img", "<iframe", "<object",
                      "href=", "src=", "//fonts"):
        assert forbidden not in lowered, forbidden
    assert all(u.startswith("url(data:") for u in re.findall(r"url\([^)]*", lowered))
    requests: list[str] = []
    page = open_card(browser, played["html"], 1280, requests)
    page.wait_for_load_state("networkidle")
    assert requests == [played["html"].as_uri()]


def test_names_that_look_like_html_show_as_text(browser, cli, tmp_path):
    name = "<b>x</b><script>alert(1)</script>&amp;co"
    assert cli("config", "name", name).exit_code == 0
    assert cli("config", "title", "<i>Title</i>").exit_code == 0
    out = tmp_path / "card.html"
    assert cli("profile", "--html", str(out)).exit_code == 0
    raw = out.read_text(encoding="utf-8")
    assert "<b>x</b>" not in raw and "<script" not in raw and "&lt;b&gt;x&lt;/b&gt;" in raw
    dialogs: list[str] = []
    page = browser.new_page(viewport={"width": 390, "height": 900})
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(out.as_uri())
    assert page.locator("h1").inner_text() == name
    assert page.locator("h1 b, h1 script, p.title i").count() == 0
    assert page.locator("p.title").inner_text() == "<i>Title</i>"
    assert page.title().startswith(name) and dialogs == []
    # A long name without a space still wraps on a phone rather than widening the page.
    assert cli("config", "name", "Autogradientbackpropagationdescender").exit_code == 0
    assert cli("profile", "--html", str(out)).exit_code == 0
    page.reload()
    assert page.locator("h1").inner_text() == "Autogradientbackpropagationdescender"
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
