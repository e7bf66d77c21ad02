"""Roll history pages, statistics ("are my dice cursed?") and the change feed."""

from __future__ import annotations

import random

from core_client import CampaignUpserted, CoreClient, Event, UserUpserted
from tests.support.core import d20_roll

T0 = 1_800_000_000.0


async def test_history_pages_through_every_roll_once_newest_first(core_client: CoreClient) -> None:
    # Several rolls share a timestamp, so the cursor must break ties by id.
    events = [d20_roll(i % 20 + 1, occurred_at=T0 + i // 3) for i in range(23)]
    await core_client.deliver(events)
    seen, times, cursor, pages = [], [], None, 0
    while True:
        page = await core_client.rolls(limit=5, cursor=cursor)
        seen += [r["idempotency_key"] for r in page["rolls"]]
        times += [r["rolled_at"] for r in page["rolls"]]
        pages += 1
        cursor = page["next_cursor"]
        if cursor is None:
            break
    assert pages == 5
    assert len(seen) == len(set(seen)) == len(events)
    assert set(seen) == {e.data["id"] for e in events}
    assert times == sorted(times, reverse=True)


async def test_history_filters_by_campaign_user_and_time(core_client: CoreClient) -> None:
    await core_client.deliver(
        [
            CampaignUpserted(key="guild:1", name="A").event(),
            d20_roll(1, actor="u1", occurred_at=T0),
            d20_roll(2, actor="u2", occurred_at=T0 + 10),
            d20_roll(3, campaign="guild:2", actor="u1", occurred_at=T0 + 20),
        ]
    )
    campaign = await core_client.campaign_by_key("guild:1")
    assert campaign is not None
    by_campaign = await core_client.rolls(campaign_id=campaign["id"])
    assert sorted(r["total"] for r in by_campaign["rolls"]) == [1.0, 2.0]
    u1 = by_campaign["rolls"][-1]["user_id"]
    assert u1 is not None
    assert [r["total"] for r in (await core_client.rolls(user_id=u1))["rolls"]] == [3.0, 1.0]
    window = await core_client.rolls(since=T0 + 5, until=T0 + 15)
    assert [r["total"] for r in window["rolls"]] == [2.0]
    iso = await core_client.rolls(since="2027-01-15T08:00:15+00:00")
    assert [r["total"] for r in iso["rolls"]] == [3.0]


def _faces(counts: list[int], actor: str) -> list[Event]:
    rolls = [d20_roll(face, actor=actor) for face, n in enumerate(counts, 1) for _ in range(n)]
    random.Random(4).shuffle(rolls)
    return rolls


async def test_stats_tell_fair_dice_from_cursed_ones(core_client: CoreClient) -> None:
    fair = _faces([10] * 20, "fair")  # perfectly flat: chi-square 0
    cursed = _faces([40] + [1] * 18 + [2], "cursed")  # ones, ones, ones
    await core_client.deliver([UserUpserted("fair").event(), UserUpserted("cursed").event()])
    for start in range(0, len(fair + cursed), 250):
        await core_client.deliver((fair + cursed)[start : start + 250])
    answer = await core_client.roll_stats(group_by="user")
    by_count = {g["stats"]["d20"]["nat1"]: g["stats"] for g in answer["groups"]}
    fair_stats, cursed_stats = by_count[10], by_count[40]
    assert fair_stats["rolls"] == 200
    assert fair_stats["d20"]["mean"] == 10.5
    assert fair_stats["d20"]["chi_square"] == 0.0
    assert fair_stats["d20"]["verdict"].startswith("fair")
    assert cursed_stats["d20"]["p_value"] < 1e-6
    assert cursed_stats["d20"]["verdict"].startswith("too few")  # 60 rolls: not enough
    assert cursed_stats["fumbles"] == 40  # the nat1 preset marked them
    assert answer["stats"]["rolls"] == 260
    assert answer["stats"]["dice"]["expected_mean"] == 10.5


async def test_stats_with_enough_cursed_rolls_say_cursed(core_client: CoreClient) -> None:
    await core_client.deliver(_faces([30] + [5] * 19, "unlucky"))
    d20 = (await core_client.roll_stats(actor_id="unlucky"))["stats"]["d20"]
    assert d20["count"] == 125
    assert d20["nat1"] == 30
    assert d20["verdict"].startswith("cursed")


async def test_the_change_feed_resumes_from_its_cursor(core_client: CoreClient) -> None:
    campaign = await core_client.create_campaign(name="One")
    first = await core_client.changes()
    assert [(c["entity"], c["operation"]) for c in first["changes"]] == [("campaign", "create")]
    assert (await core_client.changes(first["next_cursor"]))["changes"] == []
    await core_client.update_campaign(campaign["id"], 1, name="Two")
    await core_client.create_character(campaign["id"], name="Rahadin")
    later = await core_client.changes(first["next_cursor"], limit=1)
    assert [(c["entity"], c["version"], c["diff"]) for c in later["changes"]] == [
        ("campaign", 2, {"name": "Two"})
    ]
    assert later["has_more"] is True
    rest = await core_client.changes(later["next_cursor"])
    assert [c["entity"] for c in rest["changes"]] == ["character"]
    assert rest["has_more"] is False
