"""`quest badges`: every badge, earned or not, with how to earn it."""

from __future__ import annotations

import datetime as dt

from ugrad_quest.catalog import Catalog
from ugrad_quest.rules.badges import all_badges
from ugrad_quest.services.context import Context
from ugrad_quest.services.profile import BadgeView


def badge_views(catalog: Catalog, earned: dict[str, dt.date]) -> list[BadgeView]:
    """All badges in the rules' order, each with the date it was earned (None if not yet); a retired
    task's badge only where it was earned."""
    return [BadgeView(b.id, b.name, b.tier, b.description, b.xp, earned.get(b.id)) for b in all_badges(catalog)
            if not b.retired or b.id in earned]


def list_badges(ctx: Context) -> list[BadgeView]:
    catalog = ctx.catalog
    store = ctx.open_store()
    try:
        from ugrad_quest.store import progress as rows

        with store.session() as session:
            earned = rows.earned_badges(session)
    finally:
        store.close()
    return badge_views(catalog, earned)
