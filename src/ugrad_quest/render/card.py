"""The trainer card of `quest profile`: partner creature, level and EXP bar, summary, heatmap and log.

Every part is laid out for the console's width: at 60 columns and more the creature stands left of
the trainer's details; below that it stands above them, and the heatmap shows fewer weeks. Lines that
could run long (the log) are cut with an ellipsis rather than wrapped. Nothing depends on colour: the
heatmap's levels, the XP bar and badge tiers all read from their glyphs too.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from rich.align import Align
from rich.console import Console, Group, RenderableType
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from ugrad_quest.render import creature_art, safe_text
from ugrad_quest.render.heatmap import FROZEN, FROZEN_STYLE, heatmap, weeks_that_fit
from ugrad_quest.rules.creature import creature_for, title_for
from ugrad_quest.rules.reviews import plural

if TYPE_CHECKING:  # annotations only: quest list loads these renderers without the profile service
    from ugrad_quest.services.profile import BadgeView, LogEntry, Profile

MAX_WIDTH = 100
NARROW = 60
"""Below this many columns the creature stands above the trainer's details."""
GAP = "   "

TIER_GLYPHS = {"common": "•", "rare": "◆", "ultimate": "✦", "legendary": "★"}


def tier_style(tier: str) -> str:
    """The style of a badge tier (common, rare, ultimate, legendary); plain bold for an unknown one."""
    return f"tier.{tier}" if tier in TIER_GLYPHS else "bold"  # the styles live in render.console.THEME


def tier_glyph(tier: str) -> str:
    """A one-cell mark per tier, so tiers differ without colour too: • common ◆ rare ✦ ultimate ★ legendary."""
    return TIER_GLYPHS.get(tier, "•")


def badge_label(name: str, tier: str) -> Text:
    """A badge as "◆ Name", glyph and name in the tier's style."""
    return Text.assemble((tier_glyph(tier) + " ", tier_style(tier)), (name, tier_style(tier)))


def xp_bar(into: int, span: int, width: int) -> Text:
    """`width` cells, filled in proportion to into / span (never full before the level is reached)."""
    width = max(1, width)
    filled = min(width, into * width // span) if span > 0 else width
    return Text.assemble(("█" * filled, "xp"), ("░" * (width - filled), "muted"))


def of_total(done: int, total: int) -> str:
    """"3/6", or just "3" when there is no total to count against."""
    return f"{done}/{total}" if total else str(done)


def _flow(items: Iterable[Text], width: int, gap: str = GAP) -> Text:
    """Items left to right, a new line when the next would pass `width`; an item is never split."""
    out = Text()
    used = 0
    for item in items:
        if used and used + len(gap) + item.cell_len <= width:
            out.append(gap)
            used += len(gap)
        elif used:
            out.append("\n")
            used = 0
        out.append_text(item)
        used += item.cell_len
    return out


def _details(p: Profile, width: int) -> Group:
    creature = creature_for(p.level)

    def line(*parts: str | tuple[str, str]) -> Text:
        return Text.assemble(*parts, no_wrap=True, overflow="ellipsis")

    to_next = p.xp_for_level - p.xp_into_level
    total = f"{p.xp} XP in total" + (f", {to_next} to Lv. {p.level + 1}" if to_next > 0 else "")
    evolves = (f"evolves at Lv. {creature.next_stage_level}" if creature.next_stage_level is not None
               else "fully evolved")
    return Group(
        line((p.trainer, "bold")),
        line((p.title or title_for(p.level), "italic")),
        Text(""),
        line((f"Lv. {p.level}", "xp"), "  ", ("EXP ", "muted"), (f"{p.xp_into_level} / {p.xp_for_level}", "bold")),
        xp_bar(p.xp_into_level, p.xp_for_level, min(32, width)),
        line((total, "muted")),
        Text(""),
        _flow([Text.assemble(("Partner ", "muted"), (creature.name, creature_art.picture(creature.stage).palette["b"])),
               Text(evolves, style="muted")], width, gap="  "),
    )


def _header(p: Profile, width: int) -> RenderableType:
    art = creature_art.art(creature_for(p.level).stage)
    if width >= NARROW - 4:
        grid = Table.grid(padding=(0, 3))
        grid.add_column(width=creature_art.WIDTH, no_wrap=True, vertical="middle")
        info_width = width - creature_art.WIDTH - 3
        grid.add_column(width=info_width)
        grid.add_row(art, _details(p, info_width))
        return grid
    return Group(Align.center(art), Text(""), _details(p, width))


def _summary(p: Profile, width: int) -> Text:
    streak = Text.assemble(("streak ", "muted"), (plural(p.streak, "day"), "bold"))
    if p.longest_streak > p.streak:
        streak.append(f" (best {p.longest_streak})", style="muted")
    elif p.streak > 1:
        streak.append(" (your best)", style="muted")
    if p.freezes_held:
        streak.append(f" {FROZEN}{p.freezes_held} ", style=FROZEN_STYLE)
        streak.append("freeze" if p.freezes_held == 1 else "freezes", style="muted")
    items = [
        Text.assemble(("tasks ", "muted"), (of_total(p.tasks_completed, p.tasks_total), "bold")),
        Text.assemble(("quests ", "muted"), (of_total(p.quests_completed, p.quests_total), "bold")),
        streak,
        Text.assemble(("badges ", "muted"), (of_total(len(p.badges), p.badges_total), "bold")),
        Text.assemble(("quizzes ", "muted"), (of_total(p.quizzes, p.quizzes_total), "bold")),
        Text.assemble(("active days ", "muted"), (str(p.active_days), "bold")),
    ]
    return _flow(items, width)


def _badges(badges: list[BadgeView], width: int) -> Text:
    return _flow((badge_label(b.name, b.tier) for b in badges), width)


def _log_line(entry: LogEntry, xp_width: int, tiers: dict[str, str]) -> Text:
    line = Text(no_wrap=True, overflow="ellipsis")
    line.append(entry.date.isoformat(), style="muted").append("  ")
    line.append(f"+{entry.xp}".rjust(xp_width), style="xp").append("  ")
    if entry.kind == "badge" and entry.subject in tiers:
        tier = tiers[entry.subject]
        line.append(tier_glyph(tier) + " ", style=tier_style(tier))
    line.append(safe_text.shown(" ".join(entry.review.split())))  # reviews quote the learner's failures
    return line


def _section(title: str, note: str = "") -> Text:
    return Text.assemble((title, "bold"), (f"  {note}" if note else "", "muted"), no_wrap=True, overflow="ellipsis")


def card(p: Profile, console: Console) -> RenderableType:
    """The whole trainer card, as wide as the console (at most MAX_WIDTH columns)."""
    width = min(console.width, MAX_WIDTH)
    inner = width - 4  # the panel's border and padding
    creature = creature_for(p.level)
    body: list[RenderableType] = [_header(p, inner), Text(""), _summary(p, inner)]
    if p.badges:
        body += [Text(""), _section("Badges"), _badges(p.badges, inner)]
    weeks = weeks_that_fit(inner)
    body += [Text(""), _section("Activity", f"the last {plural(weeks, 'week')}"), heatmap(p.heatmap, inner)]
    body += [Text(""), _section("Latest")]
    if p.log:
        tiers = {b.id: b.tier for b in p.badges}
        xp_width = max(len(f"+{e.xp}") for e in p.log)
        body += [_log_line(entry, xp_width, tiers) for entry in p.log]
    else:
        body.append(Text("No XP yet: run quest start value, then quest check.", style="muted"))
        body.append(Text(f"Your {creature.name} is ready when you are.", style="muted"))
    border = creature_art.picture(creature.stage).palette["b"]
    return Panel(Group(*body), title=Text("Trainer card", style="bold"), title_align="left",
                 border_style=border, width=width, padding=(0, 1))
