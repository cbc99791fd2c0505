"""The trainer card as one self-contained web page, for `quest profile --html FILE`.

The page must open from a file, offline, years later, and be safe to publish: so everything is inline
(CSS in a <style>, the heatmap as inline SVG), nothing is fetched (no scripts, fonts, images or links),
and every piece of text from the learner or a quest goes through `esc`. It shows what the terminal card
shows, in the same words ("Lv. 7", "EXP 38 / 169"), laid out for a phone (one column, the heatmap
scrolling inside its own box) and for a desktop (creature beside the trainer, badges beside the log).
"""

from __future__ import annotations

import datetime as dt
import html

from ugrad_quest import __version__
from ugrad_quest.render import creature_art
from ugrad_quest.render.card import of_total, tier_glyph
from ugrad_quest.render.heatmap import DAYS, MAX_WEEKS, first_monday
from ugrad_quest.rules.creature import STAGES, creature_for, title_for
from ugrad_quest.rules.reviews import plural
from ugrad_quest.services.card_file import MARKER
from ugrad_quest.services.profile import BadgeView, Heatmap, LogEntry, Profile

# Heatmap geometry in SVG user units; the SVG scales to its box, so these only fix the proportions.
CELL, STEP = 11, 14
LEFT, TOP = 28, 18
"""The width of the weekday labels; the room above the cells for the month labels."""
WEEKDAY_LABELS = (0, 2, 4)
"""Mon, Wed and Fri are labelled, as on GitHub: all seven crowd the narrow rows."""


def esc(text: object) -> str:
    return html.escape(str(text), quote=True)


def creature_pre(stage: int) -> str:
    """The terminal's ASCII creature in a <pre>, each part in its colour (same mask and palette)."""
    out = []
    for spans in creature_art.picture(stage).runs():
        out.append("".join(f'<span class="{creature_art.style_classes(style)}">{esc(chunk)}</span>'
                           if style and chunk.strip() else esc(chunk) for chunk, style in spans))
    return "\n".join(out)


def _partner(p: Profile) -> str:
    creature = creature_for(p.level)
    body = creature_art.picture(creature.stage).palette["b"].split()[-1]
    evolves = (f"evolves at Lv. {creature.next_stage_level}" if creature.next_stage_level is not None
               else "fully evolved")
    return f"""
<section class="panel partner tint-{esc(body)}" aria-label="Partner creature">
  <pre class="art" role="img" aria-label="{esc(creature.name)}, drawn in text">{creature_pre(creature.stage)}</pre>
  <p class="partner-name">{esc(creature.name)}</p>
  <p class="muted">Stage {creature.stage + 1} of {len(STAGES)} · {esc(evolves)}</p>
  <p class="blurb">{esc(creature.blurb)}</p>
</section>"""


# --- trainer, level and summary ------------------------------------------------------------------

def _streak_note(p: Profile) -> str:
    notes = []
    if p.longest_streak > p.streak:
        notes.append(f"best {p.longest_streak}")
    elif p.streak > 1:
        notes.append("your best")
    if p.freezes_held:
        notes.append(f'<span class="frozen-text">❄ {p.freezes_held}</span> '
                     + ("freeze" if p.freezes_held == 1 else "freezes") + " held")
    return " · ".join(notes)


def _stat(label: str, value: str, note: str = "") -> str:
    small = f"<small>{note}</small>" if note else ""
    return f'<div class="stat"><dt>{esc(label)}</dt><dd><b>{esc(value)}</b>{small}</dd></div>'


def _trainer(p: Profile) -> str:
    span = p.xp_for_level
    percent = 100.0 if span <= 0 else min(100.0, 100.0 * p.xp_into_level / span)
    to_next = span - p.xp_into_level
    total = f"{p.xp} XP in total" + (f", {to_next} to Lv. {p.level + 1}" if to_next > 0 else "")
    stats = "".join([
        _stat("Tasks", of_total(p.tasks_completed, p.tasks_total)),
        _stat("Quests", of_total(p.quests_completed, p.quests_total)),
        _stat("Streak", plural(p.streak, "day"), _streak_note(p)),
        _stat("Badges", of_total(len(p.badges), p.badges_total)),
        _stat("Quizzes", of_total(p.quizzes, p.quizzes_total)),
        _stat("Active days", str(p.active_days)),
    ])
    return f"""
<section class="panel trainer" aria-label="Trainer">
  <p class="kicker">Trainer card</p>
  <h1 class="name">{esc(p.trainer)}</h1>
  <p class="title">{esc(p.title or title_for(p.level))}</p>
  <p class="level"><span class="lv">Lv. {p.level}</span> <span class="exp">EXP <b>{p.xp_into_level} / {span}</b></span></p>
  <div class="bar" role="progressbar" aria-label="EXP towards Lv. {p.level + 1}" aria-valuemin="0"
       aria-valuemax="{span}" aria-valuenow="{p.xp_into_level}"><span style="width: {percent:.1f}%"></span></div>
  <p class="muted total">{esc(total)}</p>
  <dl class="stats">{stats}</dl>
</section>"""


# --- the heatmap ---------------------------------------------------------------------------------

def heatmap_days(today: dt.date) -> list[dt.date]:
    """Every day the web heatmap shows: the 53 weeks ending with the current one, up to today."""
    start = first_monday(today, MAX_WEEKS)
    return [start + dt.timedelta(days=i) for i in range((today - start).days + 1)]


def _cell(h: Heatmap, day: dt.date, start: dt.date) -> str:
    col, row = (day - start).days // 7, day.weekday()
    x, y = col * STEP, TOP + row * STEP
    xp, level = h.xp_by_day.get(day, 0), h.level(day)
    if level:
        mark, tip = "", f"{day.isoformat()}: {xp} XP"
    elif day in h.missed:
        mark, tip = "missed", f"{day.isoformat()}: missed"
    elif day in h.frozen:
        mark, tip = "frozen", f"{day.isoformat()}: frozen (a freeze kept the streak)"
    else:
        mark, tip = "", f"{day.isoformat()}: no XP"
    classes = f"l{level}" + (f" {mark}" if mark else "")
    data_mark = f' data-mark="{mark}"' if mark else ""
    rect = (f'<rect class="{classes}" x="{x}" y="{y}" width="{CELL}" height="{CELL}" rx="2" '
            f'data-date="{day.isoformat()}" data-level="{level}" data-xp="{xp}"{data_mark}>'
            f"<title>{esc(tip)}</title></rect>")
    if mark == "missed":  # a cross, so a missed day reads as one without colour too
        a, b = 2.5, CELL - 2.5
        rect += (f'<path class="cross" d="M{x + a} {y + a}L{x + b} {y + b}M{x + b} {y + a}L{x + a} {y + b}"'
                 ' aria-hidden="true"/>')
    return rect


def _month_labels(start: dt.date, today: dt.date) -> str:
    labels, free_from = [], 0
    for col in range(MAX_WEEKS):
        monday = start + dt.timedelta(weeks=col)
        first = next((monday + dt.timedelta(days=d) for d in range(7) if (monday + dt.timedelta(days=d)).day == 1),
                     None)
        if first is None or first > today or col < free_from:
            continue
        labels.append(f'<text class="axis" x="{col * STEP}" y="{TOP - 6}">{first.strftime("%b")}</text>')
        free_from = col + 3  # a label is about three columns wide
    return "".join(labels)


def heatmap_svg(h: Heatmap) -> str:
    """Weekday labels and the day cells, as two SVGs drawn at one scale (--s, set in CSS).

    Two, so that on a phone only the cells scroll sideways and the labels stay in view beside them.
    """
    days = heatmap_days(h.today)
    start = days[0]
    width = MAX_WEEKS * STEP - (STEP - CELL) + 12  # room for the last month's name
    height = TOP + 7 * STEP - (STEP - CELL)
    weekdays = "".join(f'<text class="axis" x="0" y="{TOP + row * STEP + CELL - 2}">{DAYS[row]}</text>'
                       for row in WEEKDAY_LABELS)
    cells = "\n".join(_cell(h, day, start) for day in days)
    label = f"XP per day from {start.isoformat()} to {h.today.isoformat()}"

    def size(w: int) -> str:
        return f'width="{w}" height="{height}" style="width: calc(var(--s) * {w}); height: calc(var(--s) * {height})"'

    return (f'<div class="heat-wrap" style="--units: {LEFT + width}">'
            f'<svg class="weekdays" viewBox="0 0 {LEFT} {height}" {size(LEFT)} aria-hidden="true">{weekdays}</svg>'
            f'<div class="heat-box" tabindex="0"><svg class="heat" viewBox="0 0 {width} {height}" {size(width)} role="group" '
            f'aria-label="{esc(label)}">\n{_month_labels(start, h.today)}\n{cells}\n</svg></div></div>')


def _swatch(classes: str, cross: bool = False) -> str:
    mark = '<path class="cross" d="M2.5 2.5L8.5 8.5M8.5 2.5L2.5 8.5"/>' if cross else ""
    return (f'<svg class="swatch" viewBox="0 0 {CELL} {CELL}" width="{CELL}" height="{CELL}" aria-hidden="true">'
            f'<rect class="{classes}" width="{CELL}" height="{CELL}" rx="2"/>{mark}</svg>')


def _activity(p: Profile) -> str:
    h = p.heatmap
    days = heatmap_days(h.today)
    xp = sum(x for d, x in h.xp_by_day.items() if d >= days[0])
    levels = "".join(_swatch(f"l{i}") for i in range(5))
    note = f"the last {MAX_WEEKS} weeks · {xp} XP on {plural(sum(1 for d in h.xp_by_day if d >= days[0]), 'day')}"
    return f"""
<section class="panel activity" aria-label="Activity">
  <h2>Activity <span class="muted">{esc(note)}</span></h2>
  {heatmap_svg(h)}
  <p class="legend"><span class="scale">Less {levels} More</span>
    <span>{_swatch("l0 missed", cross=True)} Missed (streak reset)</span>
    <span>{_swatch("l0 frozen")} Frozen (freeze used)</span></p>
</section>"""


# --- badges and log ------------------------------------------------------------------------------

def _badge(b: BadgeView) -> str:
    earned = b.earned_on is not None
    when = f"Earned {b.earned_on.isoformat()}" if earned else "Not yet earned"
    return (f'<li class="badge tier-{esc(b.tier)} {"earned" if earned else "locked"}">'
            f'<span class="glyph" aria-hidden="true">{esc(tier_glyph(b.tier))}</span>'
            f'<span class="badge-name">{esc(b.name)}</span>'
            f'<span class="tier">{esc(b.tier.capitalize())}</span>'
            f'<span class="desc">{esc(b.description)}</span>'
            f'<span class="when">{when} · {b.xp} XP</span></li>')


def _badges(p: Profile) -> str:
    earned_ids = {b.id for b in p.badges}
    # Earned first (newest first, as the terminal lists them), then the ones still to earn in the rules' order.
    shelf = list(p.badges) + [b for b in p.all_badges if b.id not in earned_ids and b.earned_on is None]
    items = "\n".join(_badge(b) for b in shelf) or '<li class="muted">No badges earned yet.</li>'
    note = f"{len(p.badges)} of {p.badges_total} earned" if p.badges_total else ""
    return f"""
<section class="panel badges" aria-label="Badges">
  <h2>Badges <span class="muted">{esc(note)}</span></h2>
  <ul class="badge-list">{items}</ul>
</section>"""


def _entry(e: LogEntry, tiers: dict[str, str]) -> str:
    glyph = ""
    if e.kind == "badge" and e.subject in tiers:
        tier = tiers[e.subject]
        glyph = f'<span class="glyph tier-{esc(tier)}" aria-hidden="true">{esc(tier_glyph(tier))}</span> '
    where = f"{e.kind} · {e.quest_id}" if e.quest_id else e.kind
    return (f'<li><p class="entry-head"><time datetime="{e.date.isoformat()}">{e.date.isoformat()}</time>'
            f'<span class="plus">+{e.xp} XP</span><span class="kind">{esc(where)}</span></p>'
            f'<p class="review">{glyph}{esc(" ".join(e.review.split()))}</p></li>')


def _log(p: Profile) -> str:
    if p.log:
        tiers = {b.id: b.tier for b in [*p.all_badges, *p.badges]}
        body = '<ol class="log">' + "\n".join(_entry(e, tiers) for e in p.log) + "</ol>"
    else:
        name = creature_for(p.level).name
        body = (f'<p class="muted">No XP yet: run <code>quest start value</code>, then <code>quest check</code>. '
                f"Your {esc(name)} is ready when you are.</p>")
    return f"""
<section class="panel latest" aria-label="Latest">
  <h2>Latest <span class="muted">newest first</span></h2>
  {body}
</section>"""


# --- the page ------------------------------------------------------------------------------------

CSS = """
:root {
  color-scheme: light dark;
  --bg: #f3f5f8; --panel: #ffffff; --fg: #1f2328; --muted: #5b636d; --line: #d6dbe1; --track: #e6e9ee;
  --xp: #0a7fa8; --xp2: #2bb3d9;
  --h0: #ebedf0; --h1: #9be9a8; --h2: #40c463; --h3: #30a14e; --h4: #216e39;
  --missed: #cf222e; --missed-bg: #ffebe9; --frozen: #0969da; --frozen-bg: #cfe8ff;
  --t-common: #57606a; --t-rare: #0969da; --t-ultimate: #8250df; --t-legendary: #b07d00;
  --c-yellow: #a07800; --c-green: #1a7f37; --c-cyan: #0a7fa8; --c-blue: #0550ae; --c-magenta: #a23aa8;
  --c-red: #c4302b; --c-white: #57606a;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #0d1117; --panel: #161b22; --fg: #e6edf3; --muted: #9198a1; --line: #30363d; --track: #262c36;
    --xp: #2bb3d9; --xp2: #7ee0ff;
    --h0: #212830; --h1: #0e4429; --h2: #006d32; --h3: #26a641; --h4: #39d353;
    --missed: #ff7b72; --missed-bg: #3d1418; --frozen: #58a6ff; --frozen-bg: #10305a;
    --t-common: #9198a1; --t-rare: #58a6ff; --t-ultimate: #bc8cff; --t-legendary: #e3b341;
    --c-yellow: #e3b341; --c-green: #3fb950; --c-cyan: #39c5cf; --c-blue: #58a6ff; --c-magenta: #d2a8ff;
    --c-red: #ff7b72; --c-white: #c9d1d9;
  }
}
* { box-sizing: border-box; }
html { -webkit-text-size-adjust: 100%; text-size-adjust: 100%; }
body {
  margin: 0; background: var(--bg); color: var(--fg);
  font: 16px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", "Noto Sans", "Liberation Sans",
        Arial, sans-serif;
}
main { max-width: 1120px; margin: 0 auto; padding: 16px; display: grid; gap: 16px; }
.panel { background: var(--panel); border: 1px solid var(--line); border-radius: 14px; padding: 18px 20px;
         min-width: 0; }
h1, h2, p { margin: 0; }
h2 { font-size: 1.1rem; margin-bottom: 12px; }
h2 .muted { font-size: .85rem; font-weight: 400; margin-left: .4em; }
.muted { color: var(--muted); }
code { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono", monospace; font-size: .9em; }
.hero { display: grid; gap: 16px; grid-template-columns: 1fr; }
.cols { display: grid; gap: 16px; grid-template-columns: 1fr; align-items: start; }
@media (min-width: 760px) { .hero { grid-template-columns: minmax(240px, 320px) 1fr; } .art { font-size: 17px; } }
@media (min-width: 1000px) { .cols { grid-template-columns: 5fr 6fr; } }

/* the partner creature */
.partner { display: flex; flex-direction: column; align-items: center; justify-content: center; text-align: center;
           gap: 4px; background: linear-gradient(160deg, var(--panel) 40%, var(--tint-bg, var(--track))); }
.tint-yellow { --tint-bg: color-mix(in srgb, var(--c-yellow) 18%, var(--panel)); }
.tint-green { --tint-bg: color-mix(in srgb, var(--c-green) 18%, var(--panel)); }
.tint-blue { --tint-bg: color-mix(in srgb, var(--c-blue) 18%, var(--panel)); }
.tint-magenta { --tint-bg: color-mix(in srgb, var(--c-magenta) 18%, var(--panel)); }
.art { margin: 6px 0 10px; font: 15px/1.2 ui-monospace, SFMono-Regular, Menlo, Consolas, "Liberation Mono",
       "DejaVu Sans Mono", monospace; text-align: left; }
.b { font-weight: 700; }
.c-yellow { color: var(--c-yellow); } .c-green { color: var(--c-green); } .c-cyan { color: var(--c-cyan); }
.c-blue { color: var(--c-blue); } .c-magenta { color: var(--c-magenta); } .c-red { color: var(--c-red); }
.c-white { color: var(--c-white); }
.partner-name { font-weight: 700; font-size: 1.15rem; }
.blurb { font-size: .9rem; font-style: italic; color: var(--muted); max-width: 30ch; }

/* the trainer */
.kicker { text-transform: uppercase; letter-spacing: .08em; font-size: .75rem; color: var(--muted); }
.name { font-size: 1.9rem; line-height: 1.2; overflow-wrap: anywhere; }
.title { font-style: italic; color: var(--muted); overflow-wrap: anywhere; }
.level { margin-top: 14px; display: flex; align-items: baseline; gap: 14px; flex-wrap: wrap; }
.lv { font-weight: 800; font-size: 1.5rem; color: var(--xp); }
.exp { color: var(--muted); } .exp b { color: var(--fg); }
.bar { height: 12px; border-radius: 6px; background: var(--track); overflow: hidden; margin: 6px 0 4px; }
.bar span { display: block; height: 100%; border-radius: 6px;
            background: linear-gradient(90deg, var(--xp), var(--xp2)); }
.total { font-size: .9rem; }
.trainer { container-type: inline-size; }
.stats { display: grid; grid-template-columns: repeat(2, minmax(0, 1fr)); gap: 10px; margin: 16px 0 0; }
@container (min-width: 480px) { .stats { grid-template-columns: repeat(3, minmax(0, 1fr)); } }
.stat { border: 1px solid var(--line); border-radius: 10px; padding: 8px 12px; }
.stat dt { font-size: .78rem; text-transform: uppercase; letter-spacing: .06em; color: var(--muted); }
.stat dd { margin: 0; font-size: 1.25rem; }
.stat small { display: block; font-size: .8rem; color: var(--muted); }
.frozen-text { color: var(--frozen); font-weight: 600; }

/* the heatmap: --s is pixels per SVG unit, chosen so labels and cells fill the panel; on a phone that would
   make the cells too small to read or tap, so --s stops at a minimum and the cells scroll in their own box,
   starting at the right (direction: rtl) so the latest weeks show first, as on GitHub */
.heat-wrap { container-type: inline-size; display: flex; align-items: flex-start;
             --s: max(100cqw / var(--units), 0.82px); }
.weekdays { display: block; flex: none; }
.heat-box { flex: 1; min-width: 0; overflow-x: auto; direction: rtl; }
.heat { display: block; direction: ltr; }
.axis { font-size: 10px; fill: var(--muted); font-family: inherit; }
.l0 { fill: var(--h0); } .l1 { fill: var(--h1); } .l2 { fill: var(--h2); } .l3 { fill: var(--h3); }
.l4 { fill: var(--h4); }
rect.missed { fill: var(--missed-bg); }
rect.frozen { fill: var(--frozen-bg); stroke: var(--frozen); stroke-width: 1.2; }
.cross { stroke: var(--missed); stroke-width: 1.6; stroke-linecap: round; fill: none; }
.legend { display: flex; flex-wrap: wrap; gap: 6px 20px; margin-top: 10px; font-size: .85rem; color: var(--muted); }
.legend > span { display: inline-flex; align-items: center; gap: 4px; }
.swatch { width: 12px; height: 12px; flex: none; }

/* badges */
.badge-list { list-style: none; margin: 0; padding: 0; display: grid; gap: 10px;
              grid-template-columns: repeat(auto-fill, minmax(200px, 1fr)); }
.badge { display: grid; grid-template-columns: auto 1fr; column-gap: 10px; align-items: baseline; align-content: start;
         border: 1px solid var(--line); border-left: 4px solid var(--tier); border-radius: 10px; padding: 8px 12px; }
.badge .glyph { grid-row: span 4; font-size: 1.4rem; line-height: 1; color: var(--tier); }
.badge-name { font-weight: 700; overflow-wrap: anywhere; }
.tier { font-size: .75rem; text-transform: uppercase; letter-spacing: .08em; font-weight: 700; color: var(--tier); }
.desc { font-size: .85rem; }
.when { font-size: .78rem; color: var(--muted); }
.badge.earned { background: color-mix(in srgb, var(--tier) 9%, var(--panel)); }
.badge.locked { opacity: .5; filter: grayscale(1); border-left-style: dashed; }
.tier-common { --tier: var(--t-common); } .tier-rare { --tier: var(--t-rare); }
.tier-ultimate { --tier: var(--t-ultimate); } .tier-legendary { --tier: var(--t-legendary); }
.glyph.tier-common, .glyph.tier-rare, .glyph.tier-ultimate, .glyph.tier-legendary { color: var(--tier); }

/* the log */
.log { list-style: none; margin: 0; padding: 0; }
.log li { padding: 10px 0; border-top: 1px solid var(--line); }
.log li:first-child { border-top: 0; padding-top: 0; }
.entry-head { display: flex; flex-wrap: wrap; gap: 4px 12px; align-items: baseline; font-size: .85rem; }
.entry-head time { color: var(--muted); font-variant-numeric: tabular-nums; }
.plus { font-weight: 700; color: var(--xp); }
.kind { color: var(--muted); }
.review { overflow-wrap: anywhere; }
footer { text-align: center; font-size: .8rem; color: var(--muted); padding-bottom: 8px; }
"""


def html_card(p: Profile) -> str:
    """The whole page, a complete HTML document that carries MARKER."""
    return f"""<!DOCTYPE html>
{MARKER}
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light dark">
<meta name="generator" content="ugrad-quest {esc(__version__)}">
<title>{esc(p.trainer)} · Trainer card · ugrad-quest</title>
<style>{CSS}</style>
</head>
<body>
<main>
<div class="hero">{_partner(p)}{_trainer(p)}
</div>
{_activity(p)}
<div class="cols">{_badges(p)}{_log(p)}
</div>
<footer>Trainer card as of {p.heatmap.today.isoformat()} · made with ugrad-quest</footer>
</main>
</body>
</html>
"""
