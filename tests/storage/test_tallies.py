"""Roll statistics come from tallies kept at ingest; they must equal the rolls' own.

`GET /rolls/stats` without a session, actor or time filter sums the tallies
(`storage.tallies`); with `since=0` it reads every roll instead. Every test
here asks both and compares, after re-deliveries, concurrent writers, an
import and the migration's backfill, on SQLite and PostgreSQL.
"""

from __future__ import annotations

import asyncio
import itertools
import random
import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import insert
from starlette.applications import Starlette

from core_client import (
    CampaignUpserted,
    CharacterUpserted,
    CoreClient,
    DeliveryError,
    Event,
    Platform,
    RollRecord,
)
from core_client.contract import DiceGroup, Die, codec
from storage import db, stats, tallies, transfer
from storage.auth import Principal
from storage.handlers.rolls import roll_row
from storage.models import Roll, User
from storage.rollfilter import RollFilter
from tests.support.services import fresh_postgres_database

CAMPAIGNS = ["guild:1", "guild:2", "guild:9"]  # guild:9 is never created: its rolls stay unlinked
ACTORS = ["1001", "1002", "1003", "1004"]
CHARACTERS = ["Vex", "Grog"]
SIDES = [4, 6, 8, 10, 12, 20, 20, 20, 100]


def random_roll(rng: random.Random) -> RollRecord:
    """Return a roll of a few dice groups, some dice dropped, some flagged crit/fumble."""
    groups = []
    for _ in range(rng.randint(0, 3)):
        sides = rng.choice(SIDES)
        dice = tuple(
            Die(sides, rng.randint(1, sides), kept=rng.random() > 0.2)
            for _ in range(rng.randint(1, 4))
        )
        groups.append(DiceGroup(f"{len(dice)}d{sides}", sides, dice))
    return RollRecord(
        platform=Platform.DISCORD,
        campaign_id=rng.choice(CAMPAIGNS),
        formula="random",
        total=rng.randint(-5, 60),
        groups=tuple(groups),
        actor_id=rng.choice([*ACTORS, None]),
        character_name=rng.choice([*CHARACTERS, None]),
        crit=rng.random() < 0.05,
        fumble=rng.random() < 0.05,
    )


def setup_events() -> list[Event]:
    """Campaigns guild:1 and guild:2, each with both characters."""
    out = [CampaignUpserted(key=c, name=c).event() for c in CAMPAIGNS[:2]]
    out += [
        CharacterUpserted(name=n, source_platform=Platform.DISCORD, campaign_id=c).event()
        for c in CAMPAIGNS[:2]
        for n in CHARACTERS
    ]
    return out


async def deliver(client: CoreClient, events: list[Event]) -> None:
    """Deliver events, retrying while Core answers 503 (a writer conflict under races)."""
    for _ in range(50):
        try:
            await client.deliver(events)
            return
        except DeliveryError as exc:
            if exc.status != 503:
                raise
            await asyncio.sleep(0.01)
    raise AssertionError("Core kept refusing a delivery")


async def deliver_in_batches(client: CoreClient, events: list[Event], rng: random.Random) -> None:
    i = 0
    while i < len(events):
        n = rng.randint(1, 40)
        await deliver(client, events[i : i + n])
        i += n


async def queries(client: CoreClient) -> list[dict[str, Any]]:
    """Every kind of query the tallies answer: everything, per id, grouped."""
    found: dict[str, set[str]] = {"campaign_id": set(), "user_id": set(), "character_id": set()}
    for group_by in ("campaign", "user", "character"):
        answer = await client.roll_stats(group_by=group_by)
        found[f"{group_by}_id"] |= {g[f"{group_by}_id"] for g in answer["groups"]} - {None}
    out: list[dict[str, Any]] = [{}, *({"group_by": g} for g in ("campaign", "user", "character"))]
    out += [{name: value} for name, values in found.items() for value in sorted(values)]
    out += [{"campaign_id": c, "group_by": "user"} for c in sorted(found["campaign_id"])]
    return out


async def assert_tallies_match_rolls(client: CoreClient) -> dict[str, Any]:
    """Ask every query from tallies and from the rolls (`since=0`); return the overall answer."""
    for query in await queries(client):
        from_tallies = await client.roll_stats(**query)
        from_rolls = await client.roll_stats(**query, since=0)
        assert from_tallies == from_rolls, query
    return dict(await client.roll_stats())


def d20_faces(records: list[RollRecord]) -> list[int]:
    faces = [0] * 20
    for r in records:
        for g in r.groups:
            for d in g.dice if g.sides == 20 else ():
                faces[d.value - 1] += 1
    return faces


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_stats_from_tallies_equal_stats_from_the_rolls(
    core_client: CoreClient, seed: int
) -> None:
    rng = random.Random(seed)
    await core_client.deliver(setup_events())
    records = [random_roll(rng) for _ in range(rng.randint(150, 250))]
    await deliver_in_batches(core_client, [r.event() for r in records], rng)
    overall = await assert_tallies_match_rolls(core_client)
    assert overall["truncated"] is False
    assert overall["stats"]["rolls"] == len(records)
    assert overall["stats"]["d20"]["faces"] == d20_faces(records)
    assert overall["stats"]["crits"] >= sum(r.crit for r in records)


async def test_redelivered_rolls_are_counted_once(core_client: CoreClient) -> None:
    rng = random.Random(7)
    await core_client.deliver(setup_events())
    records = [random_roll(rng) for _ in range(120)]
    events = [r.event() for r in records]
    await deliver_in_batches(core_client, events, rng)
    before = await core_client.roll_stats(group_by="user")
    await deliver_in_batches(core_client, events[::-1], rng)  # the same events again
    again = [r.event() for r in records[:60]]  # the same rolls under new event ids
    await core_client.deliver(again + again)  # ... twice in one delivery
    assert await core_client.roll_stats(group_by="user") == before
    overall = await assert_tallies_match_rolls(core_client)
    assert overall["stats"]["rolls"] == len(records)


async def test_known_rolls_amid_new_ones_are_counted_once(core_client: CoreClient) -> None:
    # The stored rolls sit between new ones under new event ids: the insert
    # skips them, and only the rolls it wrote may reach the tallies.
    rng = random.Random(5)
    await core_client.deliver(setup_events())
    records = [random_roll(rng) for _ in range(90)]
    await core_client.deliver([r.event() for r in records[30:60]])
    receipt = await core_client.deliver([r.event() for r in records])
    assert (receipt.accepted, receipt.duplicates) == (90, 0)  # new event ids, all
    overall = await assert_tallies_match_rolls(core_client)
    assert overall["stats"]["rolls"] == len(records)
    assert overall["stats"]["d20"]["faces"] == d20_faces(records)


async def test_concurrent_writers_lose_no_count(core_client: CoreClient) -> None:
    rng = random.Random(11)
    await core_client.deliver(setup_events())
    records = [random_roll(rng) for _ in range(200)]
    events = [r.event() for r in records]
    # Twelve writers at once, overlapping: every roll is in three of them.
    shares = [rng.sample(events, len(events) // 4) for _ in range(12)]
    shares += [events[i::3] for i in range(3)]
    await asyncio.gather(*(deliver(core_client, share) for share in shares))
    overall = await assert_tallies_match_rolls(core_client)
    assert overall["stats"]["rolls"] == len(records)
    assert overall["stats"]["d20"]["faces"] == d20_faces(records)


async def test_an_imported_campaign_brings_its_statistics(
    core_client: CoreClient, core_app: Starlette, tmp_path: Path
) -> None:
    rng = random.Random(5)
    await core_client.deliver(setup_events())
    records = [random_roll(rng) for _ in range(150)]
    await deliver_in_batches(core_client, [r.event() for r in records], rng)
    campaign = await core_client.campaign_by_key("guild:1")
    assert campaign is not None
    query = RollFilter(campaign_id=uuid.UUID(campaign["id"]))
    service = Principal(None)
    async with core_app.state.sessions.begin() as session:
        document = await transfer.export_campaign(session, "guild:1")
        expected = await stats.compute(session, query, service, "user")
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/target.sqlite3")
    try:
        await db.upgrade(engine)
        sessions = db.sessionmaker(engine)
        async with sessions.begin() as session:
            await transfer.import_campaign(session, document)
        async with sessions.begin() as session:
            assert await stats.compute(session, query, service, "user") == expected
            everything = await stats.compute(session, RollFilter(), service, None)
    finally:
        await engine.dispose()
    assert everything["stats"] == expected["stats"]
    assert expected["stats"]["rolls"] == sum(r.campaign_id == "guild:1" for r in records)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def unmigrated_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """An empty database of each kind."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/old.sqlite3"
        return
    async with fresh_postgres_database() as url:
        yield url


async def test_the_migration_tallies_the_rolls_already_stored(unmigrated_url: str) -> None:
    rng = random.Random(3)
    records = [random_roll(rng) for _ in range(300)]
    engine = db.create_engine(unmigrated_url)
    try:
        await db.upgrade(engine, "0002")
        now = datetime.now(UTC)
        users = {a: uuid.uuid4() for a in ACTORS}
        rows = [roll_row(r, 1_800_000_000 + i) for i, r in enumerate(records)]
        for row, record in zip(rows, records, strict=True):  # a bucket per user, and none
            row["user_id"] = users.get(record.actor_id or "")
        async with engine.begin() as conn:
            await conn.execute(
                insert(User.__table__),
                [
                    {"id": u, "discord_id": a, "version": 1, "created_at": now, "updated_at": now}
                    for a, u in users.items()
                ],
            )
            await conn.execute(insert(Roll.__table__), rows)
        await db.upgrade(engine)
        sessions = db.sessionmaker(engine)
        service = Principal(None)
        async with sessions() as session:
            for group_by in (None, "campaign", "user", "character"):
                from_tallies = await stats.compute(session, RollFilter(), service, group_by)
                rolls_filter = RollFilter(since=rows[0]["rolled_at"])
                from_rolls = await stats.compute(session, rolls_filter, service, group_by)
                assert from_tallies == from_rolls, group_by
    finally:
        await engine.dispose()
    assert from_tallies["stats"]["rolls"] == len(records)
    assert from_tallies["stats"]["d20"]["faces"] == d20_faces(records)


_DIE = st.fixed_dictionaries(
    {"value": st.integers(-3, 25), "kept": st.booleans()},
)
_GROUP = st.fixed_dictionaries(
    {"sides": st.sampled_from([0, 2, 6, 20, 2000]), "dice": st.lists(_DIE, max_size=4)}
)
_ROW = st.fixed_dictionaries(
    {
        "campaign_id": st.sampled_from([None, uuid.UUID(int=1), uuid.UUID(int=2)]),
        "user_id": st.sampled_from([None, uuid.UUID(int=3)]),
        "character_id": st.none(),
        "crit": st.booleans(),
        "fumble": st.booleans(),
        "total": st.integers(-100, 100),
        "groups": st.lists(_GROUP, max_size=3),
    }
)


@given(rows=st.lists(_ROW, max_size=40), cuts=st.lists(st.integers(0, 40), max_size=5))
def test_counts_added_in_any_batches_equal_counts_of_all_at_once(
    rows: list[dict[str, Any]], cuts: list[int]
) -> None:
    # What the upserts do: each batch's counts are added to the stored ones.
    edges = sorted({0, len(rows), *(min(c, len(rows)) for c in cuts)})
    merged: dict[tallies.Key, tallies.Counts] = {}
    for start, end in itertools.pairwise(edges):
        for key, counts in tallies.count(rows[start:end]).items():
            merged.setdefault(key, tallies.Counts()).merge(counts)
    assert merged == tallies.count(rows)
    everything = tallies.Counts()
    for counts in merged.values():
        everything.merge(counts)
    assert stats.report(everything)["rolls"] == len(rows)
    kept_d20 = [d for r in rows for g in r["groups"] if g["sides"] == 20 for d in g["dice"]]
    assert everything.kept(20, 20) == sum(d["kept"] and d["value"] == 20 for d in kept_d20)


def test_bucket_keys_fit_the_column() -> None:
    key = (uuid.uuid4(), uuid.uuid4(), uuid.uuid4())
    assert len(tallies.bucket(key)) <= 120
    assert tallies.bucket((None, None, None)) == "||"


_DIE = st.builds(Die, st.integers(0, 30), st.integers(-3, 30), st.booleans())
_GROUPS = st.lists(
    st.builds(DiceGroup, st.just("d"), st.integers(0, 30) | st.just("F"), st.tuples(_DIE, _DIE)),
    max_size=3,
).map(tuple)


@given(_GROUPS, st.booleans(), st.booleans(), st.integers(-50, 50))
def test_a_rolls_own_groups_count_and_store_as_their_json_does(
    groups: tuple[DiceGroup, ...], crit: bool, fumble: bool, total: int
) -> None:
    # Ingest's rows hold the record's groups (roll_row); imports and recounts the stored JSON.
    stored = codec.to_builtins(groups)
    by_record, by_json = tallies.Counts(), tallies.Counts()
    by_record.add_rolled(groups, crit, fumble, total)
    by_json.add(stored, crit, fumble, total)
    assert by_record == by_json
    assert db._json(groups) == db._json(stored)
