"""A compact trainer card as one standalone SVG (495 x 195, the size of a GitHub readme-stats card).

Meant for a README: `quest profile --svg card.svg`, then `![trainer card](card.svg)`. An SVG shown as an
image cannot load anything anyway, but the file is also opened directly, so it refers to nothing outside
itself. SVG text does not wrap, so long names and titles are cut to fit with an ellipsis.
"""

from __future__ import annotations

from xml.sax.saxutils import escape

from ugrad_quest.catalog import TIERS
from ugrad_quest.render import creature_art
from ugrad_quest.render.card import of_total, tier_glyph
from ugrad_quest.rules.creature import creature_for, title_for
from ugrad_quest.rules.reviews import plural
from ugrad_quest.services.card_file import MARKER
from ugrad_quest.services.profile import Profile

WIDTH, HEIGHT = 495, 195
BAR_X, BAR_WIDTH = 25, 290


def esc(text: object) -> str:
    return escape(str(text), {'"': "&quot;"})


def fit(text: str, chars: int) -> str:
    """`text` on one line, cut to `chars` characters with an ellipsis."""
    text = " ".join(text.split())
    return text if len(text) <= chars else text[:chars - 1].rstrip() + "…"


COLOURS = {"yellow": "#b08800", "green": "#1a7f37", "cyan": "#0a7fa8", "blue": "#0550ae", "magenta": "#a23aa8",
           "red": "#c4302b", "white": "#57606a"}
DARK_COLOURS = {"yellow": "#e3b341", "green": "#3fb950", "cyan": "#39c5cf", "blue": "#58a6ff", "magenta": "#d2a8ff",
                "red": "#ff7b72", "white": "#c9d1d9"}

STYLE = """
.bg { fill: #fffefe; stroke: #d8dee4; }
.name { font: 700 19px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; fill: #1f2328; }
.title { font: italic 400 13px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; fill: #5b636d; }
.lv { font: 800 17px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; fill: #0a7fa8; }
.exp, .label, .partner-note { font: 400 12px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; fill: #5b636d; }
.exp tspan, .value { font-weight: 700; fill: #1f2328; }
.value { font: 700 14px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; }
.partner-name { font: 700 12px system-ui, -apple-system, "Segoe UI", Roboto, "Liberation Sans", Arial, sans-serif; fill: #1f2328; }
.track { fill: #e6e9ee; } .fill { fill: #0a7fa8; }
.art { font: 10.5px ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", "DejaVu Sans Mono", monospace;
       white-space: pre; fill: #57606a; }
.b { font-weight: 700; }
.t-common { fill: #57606a; } .t-rare { fill: #0969da; } .t-ultimate { fill: #8250df; } .t-legendary { fill: #b07d00; }
%(colours)s
@media (prefers-color-scheme: dark) {
  .bg { fill: #161b22; stroke: #30363d; }
  .name, .exp tspan, .value, .partner-name { fill: #e6edf3; }
  .title, .exp, .label, .partner-note { fill: #9198a1; }
  .lv, .fill { fill: #2bb3d9; } .track { fill: #262c36; }
  .t-common { fill: #9198a1; } .t-rare { fill: #58a6ff; } .t-ultimate { fill: #bc8cff; } .t-legendary { fill: #e3b341; }
  %(dark)s
}
"""


ART_LINE = 12.5


def _art(stage: int, x: float, y: float) -> str:
    """The terminal's creature as SVG text: one <text> per line, a <tspan> per coloured run."""
    lines = []
    for i, spans in enumerate(creature_art.picture(stage).runs()):
        text = "".join(f'<tspan class="{creature_art.style_classes(style)}">{esc(chunk)}</tspan>' if style
                       else esc(chunk) for chunk, style in spans)
        lines.append(f'<text class="art" x="{x}" y="{y + i * ART_LINE:.1f}" xml:space="preserve">{text}</text>')
    return "\n".join(lines)


def svg_card(p: Profile) -> str:
    """The whole SVG document, carrying MARKER."""
    creature = creature_for(p.level)
    span = p.xp_for_level
    filled = BAR_WIDTH if span <= 0 else round(BAR_WIDTH * min(1.0, p.xp_into_level / span))
    title = p.title or title_for(p.level)
    streak = plural(p.streak, "day")
    badges = of_total(len(p.badges), p.badges_total)
    tasks = of_total(p.tasks_completed, p.tasks_total)
    # The rarest badge earned, as its tier's glyph in the tier's colour, beside the count.
    best = max(p.badges, key=lambda b: TIERS.index(b.tier) if b.tier in TIERS else 0, default=None)
    glyph = f' <tspan class="t-{esc(best.tier)}">{esc(tier_glyph(best.tier))}</tspan>' if best else ""
    stats = [("Tasks", esc(tasks)), ("Streak", esc(streak)), ("Badges", esc(badges) + glyph)]
    stat_svg = "".join(
        f'<text class="label" x="{25 + i * 100}" y="150">{label}</text>'
        f'<text class="value" x="{25 + i * 100}" y="170">{value}</text>'
        for i, (label, value) in enumerate(stats))
    pic = creature_art.picture(creature.stage)
    art_width = max(len(line) for line in pic.lines) * 6.3  # 10.5 px monospace: about 6.3 px per character
    art_x = 405 - art_width / 2
    art_top = 32 + (7 - len(pic.lines)) * ART_LINE / 2
    colours = "\n".join(f".c-{name} {{ fill: {value}; }}" for name, value in COLOURS.items())
    dark = " ".join(f".c-{name} {{ fill: {value}; }}" for name, value in DARK_COLOURS.items())
    desc = (f"Lv. {p.level}, EXP {p.xp_into_level} / {span}, {p.xp} XP in total; tasks {tasks}, "
            f"streak {streak}, badges {badges}; partner {creature.name}.")
    return f"""<?xml version="1.0" encoding="UTF-8"?>
{MARKER}
<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" aria-labelledby="card-title card-desc">
<title id="card-title">{esc(p.trainer)}: trainer card (ugrad-quest)</title>
<desc id="card-desc">{esc(desc)}</desc>
<style>{STYLE % {"colours": colours, "dark": dark}}</style>
<rect class="bg" x="0.5" y="0.5" width="{WIDTH - 1}" height="{HEIGHT - 1}" rx="10"/>
<text class="name" x="25" y="38">{esc(fit(p.trainer, 26))}</text>
<text class="title" x="25" y="58">{esc(fit(title, 40))}</text>
<text class="lv" x="25" y="92">Lv. {p.level}</text>
<text class="exp" x="{BAR_X + BAR_WIDTH}" y="92" text-anchor="end">EXP <tspan>{p.xp_into_level} / {span}</tspan></text>
<rect class="track" x="{BAR_X}" y="101" width="{BAR_WIDTH}" height="9" rx="4.5"/>
<rect class="fill" x="{BAR_X}" y="101" width="{filled}" height="9" rx="4.5"/>
<text class="exp" x="25" y="127">{esc(f"{p.xp} XP in total")}</text>
{stat_svg}
{_art(creature.stage, round(art_x, 1), round(art_top, 1))}
<text class="partner-name" x="405" y="150" text-anchor="middle">{esc(creature.name)}</text>
<text class="partner-note" x="405" y="168" text-anchor="middle">partner · stage {creature.stage + 1}</text>
</svg>
"""
