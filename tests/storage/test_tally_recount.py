"""The tallies kept at ingest equal a recount of the stored rolls, row for row, whatever the dice.

On PostgreSQL the database counts a batch in the statement that inserts it
(`storage.pgtallies`), on SQLite Python does (`storage.tallies`); either way
the stored `roll_tallies` and `roll_faces` rows must be exactly what
`tallies.count` makes of the rolls as stored, with the dice the statistics
tests do not roll: Fate dice, groups of no size, d1, dice past d20, values
outside their die, dropped dice, rolls with no dice, and rolls delivered again
under another event id.
"""

from __future__ import annotations

import random
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core_client import CampaignUpserted, CharacterUpserted, Event, Platform, RollRecord
from core_client.contract import DiceGroup, Die
from storage import db, ingest, tallies
from storage.models import Roll, RollFace, RollTally

CAMPAIGNS = ["guild:1", "guild:2", "guild:9"]  # guild:9 is never created: its rolls stay unlinked
SIDES: list[int | str] = [0, 1, 2, 6, 20, 21, 100, "F"]


def odd_die(rng: random.Random, sides: int | str) -> Die:
    """Return a die of `sides`, sometimes showing a value no such die has."""
    top = 1 if sides == "F" else int(sides)
    value = rng.randint(-1, 1) if sides == "F" else rng.randint(-1, top + 1)
    return Die(sides, value, kept=rng.random() > 0.3)


def odd_roll(rng: random.Random) -> RollRecord:
    """Return a roll of up to three groups of any of `SIDES`."""
    groups = []
    for _ in range(rng.randint(0, 3)):
        sides = rng.choice(SIDES)
        dice = tuple(odd_die(rng, sides) for _ in range(rng.randint(0, 3)))
        groups.append(DiceGroup(f"{len(dice)}d{sides}", sides, dice))
    return RollRecord(
        platform=Platform.DISCORD,
        campaign_id=rng.choice(CAMPAIGNS),
        formula="odd",
        total=rng.choice([rng.randint(-5, 60), 2.5]),
        groups=tuple(groups),
        actor_id=rng.choice(["1001", "1002", None]),
        character_name=rng.choice(["Vex", None]),
        crit=rng.random() < 0.2,
        fumble=rng.random() < 0.2,
    )


async def store(sessions: async_sessionmaker[AsyncSession], events: list[Event]) -> None:
    """Store a delivery as the webhook does."""
    async with sessions.begin() as session:
        await ingest.store(session, events)


async def table_rows(session: AsyncSession, table: Any, key: Any) -> list[dict[str, Any]]:
    """Return a table's rows as dicts, in `key` order."""
    rows = (await session.execute(select(table))).mappings().all()
    return sorted((dict(r) for r in rows), key=key)


async def test_stored_tallies_equal_a_recount_of_the_stored_rolls(core_database_url: str) -> None:
    rng = random.Random(7)
    engine = db.create_engine(core_database_url)
    sessions = db.sessionmaker(engine)
    try:
        setup = [CampaignUpserted(key=c, name=c).event() for c in CAMPAIGNS[:2]]
        setup.append(
            CharacterUpserted(name="Vex", source_platform=Platform.DISCORD, campaign_id="guild:1")
        )
        await store(sessions, [e if isinstance(e, Event) else e.event() for e in setup])
        records = [odd_roll(rng) for _ in range(300)]
        sent = 0
        while sent < len(records):
            n = rng.randint(1, 60)
            again = rng.sample(records[:sent], min(sent, 5))  # new event ids, rolls seen before
            await store(sessions, [r.event() for r in records[sent : sent + n] + again])
            sent += n
        async with sessions() as session:
            rolls = await table_rows(session, Roll.__table__, lambda r: r["idempotency_key"])
            stored = await table_rows(session, RollTally.__table__, lambda r: r["bucket"])
            faces = await table_rows(
                session, RollFace.__table__, lambda r: (r["bucket"], r["sides"])
            )
    finally:
        await engine.dispose()
    assert len(rolls) == len(records)
    expected, expected_faces = tallies.rows_of(tallies.count(rolls))
    assert stored == [dict(zip(tallies.TALLY_ROW, row, strict=True)) for row in expected]
    assert faces == [dict(zip(tallies.FACE_ROW, row, strict=True)) for row in expected_faces]
