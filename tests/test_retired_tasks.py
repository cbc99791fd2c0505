"""A task an earlier version checked and this one retired (optimize's speedup-10x and speedup-25x, whose
thresholds moved to 20x and 60x on the demo net): what was earned on it stands, nothing offers it again."""

from __future__ import annotations

import json

from ugrad_quest.rules import awards as award_rules
from ugrad_quest.services import awarding
from ugrad_quest.services.context import Context


def _old_history(tmp_path) -> None:
    """What an earlier version recorded: a check that passed speedup-10x, its XP and its badges."""
    from ugrad_quest.store import progress as rows

    ctx = Context.from_environment()
    moment, today = ctx.now()
    quest = ctx.catalog.get("optimize")
    store = ctx.open_store()
    try:
        with store.session() as session:
            rows.record_start(session, "optimize", str(tmp_path), "ugrad", moment, today)
            attempt = rows.add_attempt(session, "optimize", str(tmp_path), "ugrad", moment, today, 1000, False,
                                       [("speedup-10x", "passed", 10, "12.0x")])
            rows.add_task_pass(session, "optimize", "speedup-10x", attempt, moment, today)
            task = quest.known_task("speedup-10x")
            rows.add_award(session, award_rules.TASK, "optimize", "speedup-10x", task.xp,
                           "Ten times as fast, passed on the first check.", moment, today, attempt)
            awarding.award_badges(session, ctx.catalog, moment, today, attempt)
    finally:
        store.close()


def test_the_quest_no_longer_has_the_retired_tiers_but_knows_them():
    quest = Context.from_environment().catalog.get("optimize")
    assert [t.id for t in quest.tasks] == ["still-correct", "speedup-2x", "speedup-5x", "speedup-20x", "speedup-60x"]
    assert quest.task("speedup-10x") is None and quest.known_task("speedup-10x").xp == 50
    assert quest.known_task("speedup-25x").badge.name == "Warp Drive"


def test_a_badge_earned_on_a_retired_tier_stands_and_the_others_are_not_offered(cli, tmp_path):
    _old_history(tmp_path)
    badges = {b["id"]: b for b in json.loads(cli("badges", "--json").stdout)}
    assert badges["optimize-speedup-10x"]["name"] == "Order of Magnitude" and badges["optimize-speedup-10x"]["earned_on"]
    assert "optimize-speedup-25x" not in badges  # never earned: a retired badge is not offered
    assert {"optimize-speedup-20x", "optimize-speedup-60x"} <= set(badges)
    profile = json.loads(cli("profile", "--json").stdout)
    assert "optimize-speedup-10x" in profile["badges"] and profile["xp"] >= 50
    listing = {q["id"]: q for q in json.loads(cli("list", "--json").stdout)}
    assert listing["optimize"]["tasks_total"] == 5 and listing["optimize"]["tasks_passed"] == 0
    assert cli("log").exit_code == 0 and cli("profile").exit_code == 0


def test_verify_audits_a_retired_tier_and_does_not_re_run_it(cli, tmp_path):
    _old_history(tmp_path)
    bundle = tmp_path / "old.json"
    assert cli("export", str(bundle)).exit_code == 0
    result = cli("verify", str(bundle), "--json")
    report = json.loads(result.stdout)
    assert result.exit_code == 0 and report["verified"], report
    (claim,) = report["claims"]
    assert (claim["task"], claim["status"]) == ("speedup-10x", "retired")
    assert "retired" in claim["detail"] and not report["findings"]
    text = cli("verify", str(bundle)).stdout
    assert "1 retired task audited, not re-run" in " ".join(text.split())
