"""Text views of export and verify."""

from __future__ import annotations

from rich.console import Group, RenderableType
from rich.table import Table
from rich.text import Text

from ugrad_quest.render.console import file_size
from ugrad_quest.render.safe_text import shown
from ugrad_quest.rules.reviews import plural
from ugrad_quest.services.export import ExportResult
from ugrad_quest.services.verify import CONFIRMED, RETIRED, Verification


def exported(r: ExportResult) -> RenderableType:
    return Group(
        Text.assemble("Wrote ", (str(r.path), "title"), f" ({file_size(r.size)}): {plural(r.events, 'event')}, "
                      f"{r.xp} XP, {plural(r.claims, 'completed task')} with the code "
                      f"{'it was' if r.claims == 1 else 'they were'} checked with."),
        Text("Head (publish it with your card: it pins this exact log):", style="muted"),
        # Whole lines, never folded by rich: a terminal narrower than the hash soft-wraps it, and a
        # copy of it (or of the command) still pastes as one piece.
        Text(r.head, style="xp", no_wrap=True, overflow="ignore"),
        Text("Anyone can check it with:", style="muted"),
        Text(f"quest verify {r.path}", style="title", no_wrap=True, overflow="ignore"),
    )


def verification(v: Verification) -> RenderableType:
    """Everything a bundle says (and what its code printed) is shown with control characters escaped: a
    stranger's bundle must not be able to clear the verifier's screen or dress a forgery as a pass."""
    parts: list[RenderableType] = [
        Text.assemble("Bundle ", (shown(str(v.path)), "title"), f" of {shown(v.trainer) or 'an unnamed trainer'}, "
                      f"exported {shown(v.exported_at[:16].replace('T', ' '))} "
                      f"with ugrad-quest {shown(v.tool_version)}"),
        Text(f"{plural(v.events, 'event')}, {v.xp} XP, head {shown((v.head or '?')[:16])}…", style="muted"),
    ]
    if v.claims:
        table = Table(box=None, pad_edge=False, header_style="muted", title_justify="left")
        for name, kwargs in (("", {}), ("claim", {}), ("check", {"justify": "right"}), ("date", {}),
                             ("re-run", {"ratio": 1})):
            table.add_column(name, no_wrap=name != "re-run", **kwargs)
        for c in v.claims:
            good, retired = c.status == CONFIRMED, c.status == RETIRED
            mark = Text("–", style="muted") if retired else Text("✓" if good else "✗", style="passed" if good else "failed")
            table.add_row(mark, Text(shown(f"{c.quest_id}/{c.task_id}")), Text(shown(f"#{c.check}")),
                          Text(shown(c.date)),
                          Text(shown(c.detail), style="muted" if retired else "" if good else "failed"))
        parts += [Text(""), table]
    else:
        parts.append(Text("The bundle claims no completed task.", style="muted"))
    for note in v.notes:
        parts.append(Text(f"Note: {shown(note)}.", style="muted"))
    if v.findings:
        parts.append(Text(""))
        parts.append(Text(f"{plural(len(v.findings), 'problem')} found:", style="failed"))
        for f in v.findings:
            parts.append(Text.assemble(("  ✗ ", "failed"), (f"[{f.kind}] ", "title"), shown(f.message)))
    confirmed = sum(c.status == CONFIRMED for c in v.claims)
    retired = sum(c.status == RETIRED for c in v.claims)
    parts.append(Text(""))
    if v.ok:
        also = f" ({plural(retired, 'retired task')} audited, not re-run)" if retired else ""
        parts.append(Text(f"Verified: the chain is intact, every XP award follows the rules, and all "
                          f"{plural(confirmed, 'claimed task')} passed again{also}.", style="passed"))
    else:
        parts.append(Text(f"NOT verified: {plural(len(v.findings), 'problem')}, {confirmed} of "
                          f"{plural(len(v.claims), 'claimed task')} confirmed.", style="failed"))
    return Group(*parts)
