"""The trainer card of `quest profile`, rendered from Profile objects built by hand (no database)."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from rich.cells import cell_len
from rich.console import Console

from ugrad_quest.render import creature_art, views
from ugrad_quest.render.card import TIER_GLYPHS, tier_glyph, tier_style, xp_bar
from ugrad_quest.render.console import THEME
from ugrad_quest.render.heatmap import DAYS, LEVELS, first_monday
from ugrad_quest.rules.creature import STAGES, creature_for, title_for
from ugrad_quest.rules.levels import level_progress
from ugrad_quest.services.profile import BadgeView, Heatmap, LogEntry, Profile

TODAY = dt.date(2025, 3, 12)  # a Wednesday: Thu-Sun of the current week are still to come
DAY = dt.timedelta(days=1)
WIDTHS = (100, 80, 60, 40)


def make_profile(xp: int, heatmap: Heatmap | None = None, **fields) -> Profile:
    lv = level_progress(xp)
    values = dict(trainer="Ada Lovelace", title="", level=lv.level, xp=lv.xp, xp_into_level=lv.xp_into_level,
                  xp_for_level=lv.xp_for_level, streak=0, longest_streak=0, active_days=0, freezes_held=0,
                  tasks_completed=0, tasks_total=30, quests_completed=0, quests_total=3,
                  heatmap=heatmap or Heatmap(TODAY, {}), badges_total=14, quizzes_total=9)
    values.update(fields)
    return Profile(**values)


def fresh() -> Profile:
    return make_profile(0)


BADGES = [
    BadgeView("value", "Value Tamer", "rare", "Complete the value quest.", 25, TODAY),
    BadgeView("streak-3", "Warm Gradient", "common", "A 3-day streak.", 10, TODAY - DAY),
    BadgeView("line", "Grandmaster of Gradients", "legendary", "Complete the quest line.", 100, TODAY - 2 * DAY),
]
LONG_REVIEW = ("Backpropagation, passed on check 3 with 1 hint, -10 XP. Shows that gradients flow from the output "
               "back to every input, one local derivative at a time, summed over every path through the graph.")
LOG = [
    LogEntry(TODAY, "badge", "value", "value", 25, "Badge Value Tamer: completed the value quest."),
    LogEntry(TODAY, "task", "value", "backprop", 100, LONG_REVIEW),
    LogEntry(TODAY - DAY, "quiz", "value", "chain", 5, "Quiz (value): answered “What is d(a*b)/da?” correctly."),
]


def midway() -> Profile:
    days = {TODAY: 40, TODAY - DAY: 120, TODAY - 2 * DAY: 60, TODAY - 6 * DAY: 30}
    xp = 380  # Lv. 7 spans 342..511
    return make_profile(xp, Heatmap(TODAY, days, frozen=frozenset({TODAY - 3 * DAY})), trainer="Grace Hopper",
                        title="Keeper of Graphs", streak=3, longest_streak=4, active_days=4, freezes_held=1,
                        tasks_completed=8, quests_completed=1, badges=BADGES, quizzes=2, log=LOG)


def year_heatmap() -> Heatmap:
    xp_by_day: dict[dt.date, int] = {}
    missed, frozen = set(), set()
    for i in range(365):
        day = TODAY - i * DAY
        if i % 29 == 3:
            missed.add(day)
        elif i % 31 == 5:
            frozen.add(day)
        elif i % 7 != 4:
            xp_by_day[day] = (i * 37) % 160 + 1
    return Heatmap(TODAY, xp_by_day, frozenset(missed), frozenset(frozen))


def a_year() -> Profile:
    h = year_heatmap()
    return make_profile(sum(h.xp_by_day.values()), h, streak=12, longest_streak=40, active_days=len(h.xp_by_day),
                        freezes_held=2, tasks_completed=30, quests_completed=3, badges=BADGES, quizzes=9, log=LOG)


def render(p: Profile, width: int) -> str:
    console = Console(width=width, file=io.StringIO(), color_system=None, theme=THEME)
    console.print(views.profile(p, console))
    return console.file.getvalue()


def content(out: str) -> list[str]:
    """The card's lines without the panel's border and padding."""
    lines = out.splitlines()
    assert lines[0].startswith("╭") and lines[-1].startswith("╰")
    return [line[2:-2] for line in lines[1:-1]]


def heat_rows(out: str) -> dict[str, str]:
    """The heatmap's cells per row label, trailing blanks (days still to come) kept as spaces."""
    rows = {line[:3]: line[4:] for line in content(out) if line[:4] in {f"{d} " for d in DAYS}}
    assert list(rows) == list(DAYS)
    return rows


def weeks_shown(out: str) -> int:
    return len(heat_rows(out)["Mon"].rstrip())  # Monday of the current week is never in the future here


# --- creature and title -------------------------------------------------------------------------------

def test_creature_evolves_at_5_10_and_15():
    expected = {1: ("Nablet", 0, 5), 4: ("Nablet", 0, 5), 5: ("Chainling", 1, 10), 9: ("Chainling", 1, 10),
                10: ("Backpropter", 2, 15), 14: ("Backpropter", 2, 15), 15: ("Autogradon", 3, None),
                100: ("Autogradon", 3, None), 0: ("Nablet", 0, 5)}
    for level, (name, stage, following) in expected.items():
        c = creature_for(level)
        assert (c.name, c.stage, c.next_stage_level) == (name, stage, following), level
    assert len({s.name for s in STAGES}) == len(STAGES) >= 3
    # The quest line ends near Lv. 12: a learner who finishes it has seen two evolutions.
    assert creature_for(12).stage == 2


def test_default_titles_rise_with_level():
    assert title_for(1) == "Scalar Scout"
    assert title_for(3) == title_for(4) == "Gradient Apprentice"
    titles = [title_for(level) for level in range(1, 30)]
    assert all(titles) and len(set(titles)) >= 5
    changes = [level for level in range(2, 30) if title_for(level) != title_for(level - 1)]
    assert changes == sorted(changes) and title_for(0) == "Scalar Scout"


def test_every_creature_picture_is_small_plain_ascii_with_an_aligned_mask():
    assert len(creature_art.PICTURES) == len(STAGES)
    for pic in creature_art.PICTURES:
        assert 5 <= len(pic.lines) <= 7 and len(pic.mask) == len(pic.lines)
        for line, mask in zip(pic.lines, pic.mask):
            assert len(line) <= creature_art.WIDTH and line.isascii()
            assert len(mask) == len(line) and all((c == " ") == (m == " ") for c, m in zip(line, mask))
            assert set(mask) <= {" ", *pic.palette}


# --- the card -----------------------------------------------------------------------------------------

def test_fresh_trainer_gets_a_friendly_empty_card():
    out = render(fresh(), 80)
    text = "\n".join(content(out))
    assert out.splitlines()[0].startswith("╭─ Trainer card ")
    assert "Ada Lovelace" in text and "Scalar Scout" in text
    assert "Lv. 1  EXP 0 / 7" in text and "0 XP in total, 7 to Lv. 2" in text
    assert "Partner Nablet  evolves at Lv. 5" in text
    assert "No XP yet: run quest start value, then quest check." in text
    assert "tasks 0/30" in text and "streak 0 days" in text and "best" not in text
    assert "badges 0/14" in text and "quizzes 0/9" in text and "active days 0" in text
    assert "Latest" in text and "Badges\n" not in text  # no badge row without badges
    rows = heat_rows(out)
    assert all(set(cells.rstrip()) == {"·"} for cells in rows.values())
    assert "Less ░ ▒ ▓ █ More" in text and "missed" not in text and "frozen" not in text
    assert "_______" in text and "\\ o o /" in text  # the hatchling is drawn


def test_midway_trainer_card_shows_level_summary_badges_and_log():
    out = render(midway(), 80)
    lines = content(out)
    text = "\n".join(lines)
    assert "Grace Hopper" in text and "Keeper of Graphs" in text and "Chain-Rule Runner" not in text
    assert "Lv. 7  EXP 38 / 169" in text and "380 XP in total, 131 to Lv. 8" in text
    assert "Partner Chainling  evolves at Lv. 10" in text
    assert "tasks 8/30" in text and "quests 1/3" in text and "badges 3/14" in text
    assert "streak 3 days (best 4) *1 freeze" in text and "quizzes 2/9" in text and "active days 4" in text
    assert "◆ Value Tamer" in text and "• Warm Gradient" in text and "★ Grandmaster of Gradients" in text
    # The log: one line per entry, newest first, the long review cut with an ellipsis.
    log = lines[lines.index("Latest".ljust(76)) + 1:]
    assert log[0].startswith("2025-03-12   +25  ◆ Badge Value Tamer: completed the value quest.")
    assert log[1].startswith("2025-03-12  +100  Backpropagation, passed on check 3") and log[1].rstrip().endswith("…")
    assert log[2].startswith("2025-03-11    +5  Quiz (value)")
    # The bar: EXP 38 of 169 over 32 cells.
    bar = next(m.group() for line in lines if (m := re.search("[█░]{32}", line)))
    assert bar == "█" * (38 * 32 // 169) + "░" * (32 - 38 * 32 // 169)
    # The frozen day is marked and explained; nothing was missed, so that is not in the legend.
    rows = heat_rows(out)
    frozen_day = TODAY - 3 * DAY  # a Sunday, last column but one
    assert rows[DAYS[frozen_day.weekday()]][53 - 2] == "*"
    assert "* frozen (freeze used)" in text and "missed" not in text


def test_streak_at_its_best_says_so_and_a_one_day_streak_is_singular():
    assert "streak 3 days (your best)" in render(make_profile(10, streak=3, longest_streak=3), 80)
    assert "streak 1 day" in render(make_profile(10, streak=1, longest_streak=1), 80)


@pytest.mark.parametrize(("xp", "name", "evolves"), [
    (26, "Nablet", "evolves at Lv. 5"), (380, "Chainling", "evolves at Lv. 10"),
    (1800, "Backpropter", "evolves at Lv. 15"), (4000, "Autogradon", "fully evolved")])
def test_the_partner_on_the_card_changes_with_the_stage(xp: int, name: str, evolves: str):
    level = level_progress(xp).level
    text = "\n".join(content(render(make_profile(xp), 80)))
    assert f"Partner {name}  {evolves}" in text and f"Lv. {level}  EXP" in text
    assert title_for(level) in text
    first_art_line = creature_art.picture(creature_for(level).stage).lines[0].strip()
    assert first_art_line in text


def test_a_year_of_activity_fills_53_weeks_at_80_columns():
    p = a_year()
    out = render(p, 80)
    rows = heat_rows(out)
    assert weeks_shown(out) == 53
    assert all(len(cells.rstrip(" ")) <= 53 for cells in rows.values())
    start = first_monday(TODAY, 53)
    assert start.weekday() == 0 and (TODAY - start).days == 52 * 7 + TODAY.weekday()
    # The current week is the rightmost column: today is in the Wednesday row, later days are blank.
    for row, label in enumerate(DAYS):
        day = start + dt.timedelta(days=52 * 7 + row)
        cells = rows[label].ljust(53)
        if day > TODAY:
            assert cells[52] == " ", label
        else:
            assert cells[52] != " ", label
    assert DAYS[TODAY.weekday()] == "Wed" and rows["Wed"][52] == LEVELS[p.heatmap.level(TODAY) - 1]
    # Every shown day: its glyph is its bucket, or the missed / frozen mark.
    h = p.heatmap
    seen_levels = set()
    for col in range(53):
        for row, label in enumerate(DAYS):
            day = start + dt.timedelta(days=7 * col + row)
            if day > TODAY:
                continue
            glyph = rows[label][col]
            if day in h.missed:
                assert glyph == "×", day
            elif day in h.frozen:
                assert glyph == "*", day
            elif h.level(day):
                assert glyph == LEVELS[h.level(day) - 1], day
                seen_levels.add(h.level(day))
            else:
                assert glyph == "·", day
    assert seen_levels == {1, 2, 3, 4}
    text = "\n".join(content(out))
    assert "Less ░ ▒ ▓ █ More   × missed (streak reset)   * frozen (freeze used)" in text
    assert "Activity  the last 53 weeks" in text
    months = next(line for line in content(out) if line.startswith("    ") and "Jan" in line)
    # "Jan" stands over the column that holds 1 January 2025.
    jan_col = (dt.date(2025, 1, 1) - start).days // 7
    assert months[4 + jan_col:4 + jan_col + 3] == "Jan"


def test_a_year_at_50_columns_shows_the_latest_42_weeks():
    p = a_year()
    out = render(p, 50)
    rows = heat_rows(out)
    weeks = 50 - 4 - 4  # the panel's border and padding, then the row labels
    assert weeks_shown(out) == weeks
    start = first_monday(TODAY, weeks)
    for col in (0, 10, weeks - 2, weeks - 1):
        for row, label in enumerate(DAYS):
            day = start + dt.timedelta(days=7 * col + row)
            if day <= TODAY and day not in p.heatmap.missed | p.heatmap.frozen:
                assert rows[label][col] == (LEVELS[p.heatmap.level(day) - 1] if p.heatmap.level(day) else "·")
    assert rows["Wed"].rstrip()[-1] == LEVELS[p.heatmap.level(TODAY) - 1]
    text = "\n".join(content(out))
    assert "Less ░ ▒ ▓ █ More" in text and "× missed" in text and "* frozen" in text


@pytest.mark.parametrize("width", WIDTHS)
@pytest.mark.parametrize("make", [fresh, midway, a_year])
def test_no_line_is_wider_than_the_console_and_the_heatmap_never_wraps(make, width: int):
    p = make()
    out = render(p, width)
    for line in out.splitlines():
        assert cell_len(line) <= width, line
    assert len(heat_rows(out)) == 7
    assert weeks_shown(out) == min(53, min(width, 100) - 8)
    text = "\n".join(content(out))
    assert f"Lv. {p.level}  EXP {p.xp_into_level} / {p.xp_for_level}" in text
    assert creature_for(p.level).name in text


def test_narrow_card_stacks_the_creature_above_the_trainer():
    for width, stacked in ((80, False), (60, False), (59, True), (40, True)):
        lines = content(render(midway(), width))
        art_top = next(i for i, line in enumerate(lines) if "_______" in line)
        name = next(i for i, line in enumerate(lines) if "Grace Hopper" in line)
        assert (name > art_top + 3) is stacked, width


def test_no_color_output_has_no_colour_codes(monkeypatch):
    def output(**options) -> str:
        console = Console(width=80, file=io.StringIO(), force_terminal=True, theme=THEME, **options)
        console.print(views.profile(a_year(), console))
        return console.file.getvalue()

    colour = re.compile(r"\x1b\[(?:[0-9;]*;)?(?:3[0-9]|4[0-9]|9[0-7]|10[0-7])(?:;[0-9;]*)?m")
    assert colour.search(output(color_system="truecolor"))  # the check can see colour when there is some
    assert not colour.search(output(no_color=True))
    monkeypatch.setenv("NO_COLOR", "1")
    plain = output()
    assert not colour.search(plain) and "38;" not in plain
    plain = re.sub(r"\x1b\[[0-9;]*m", "", plain)
    assert "Lv. 28  EXP 1568 / 2437" in plain and "Less ░ ▒ ▓ █ More" in plain and "× missed" in plain


def test_tiers_differ_by_glyph_and_style():
    tiers = ["common", "rare", "ultimate", "legendary"]
    assert list(TIER_GLYPHS) == tiers
    assert len({tier_glyph(t) for t in tiers}) == 4 and len({tier_style(t) for t in tiers}) == 4
    assert all(cell_len(tier_glyph(t)) == 1 for t in tiers)
    assert tier_style("mythic") == "bold" and tier_glyph("mythic") == "•"


def test_xp_bar_is_full_only_when_the_level_is_reached():
    assert xp_bar(0, 7, 10).plain == "░" * 10
    assert xp_bar(6, 7, 10).plain == "█" * 8 + "░" * 2
    assert xp_bar(7, 7, 10).plain == "█" * 10
    assert views.xp_bar(84, 169, 20).plain == "█" * 9 + "░" * 11
