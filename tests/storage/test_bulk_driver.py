"""Bulk statements run on the driver's own connection keep the session's transaction and errors.

`storage.bulk` runs its statements on aiosqlite's or asyncpg's connection
under the session (`storage.pgbulk` on PostgreSQL) rather than through
SQLAlchemy's adapter. They must still be part of the session's transaction
(rolled back with it, even as its first statement), and a refusal must still
reach the caller as SQLAlchemy's error with no bound value in its text, which
`ingest.unstorable` and the 503 handler read.
"""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from storage import bulk, db, ingest
from storage.models import WebhookEvent, utcnow

SECRET = "a-player's-words-7f3a"  # a bound value that must appear in no error


def claim(event_id: str, **changes: Any) -> dict[str, Any]:
    """Return a webhook_events row."""
    now = utcnow()
    row = {"event_id": event_id, "type": "roll.recorded", "occurred_at": now}
    return row | {"created_at": now, "updated_at": now} | changes


async def claims(sessions: async_sessionmaker[AsyncSession]) -> int:
    async with sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(WebhookEvent)) or 0)


@pytest.fixture
async def sessions(core_database_url: str) -> AsyncIterator[async_sessionmaker[AsyncSession]]:
    engine = db.create_engine(core_database_url)
    try:
        yield db.sessionmaker(engine)
    finally:
        await engine.dispose()


async def insert(session: AsyncSession, rows: list[dict[str, Any]]) -> list[Any]:
    table = WebhookEvent.__table__
    return await bulk.insert(session, table, rows, conflict=["event_id"], returning="event_id")


async def test_a_first_statement_rolls_back_with_the_session(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    async with sessions() as session:
        assert await insert(session, [claim("e1"), claim("e2")]) == ["e1", "e2"]
        await session.rollback()
    assert await claims(sessions) == 0
    async with sessions.begin() as session:
        await insert(session, [claim("e1")])
        assert await insert(session, [claim("e1"), claim("e3")]) == ["e3"]  # e1: a duplicate
    assert await claims(sessions) == 2


async def test_a_refused_row_raises_sqlalchemys_error_without_its_values(
    sessions: async_sessionmaker[AsyncSession],
) -> None:
    with pytest.raises(IntegrityError) as caught:
        async with sessions.begin() as session:
            await insert(session, [claim("e1"), claim(SECRET, type=None)])  # NOT NULL
    assert SECRET not in str(caught.value)
    assert not ingest.unstorable(caught.value)  # a constraint: the database's answer
    assert await claims(sessions) == 0
    async with sessions.begin() as session:  # the connection went back to the pool usable
        await insert(session, [claim("e1")])
    assert await claims(sessions) == 1


async def test_a_value_postgresql_cannot_store_is_unstorable(
    sessions: async_sessionmaker[AsyncSession], core_database_url: str
) -> None:
    rows = [claim("e1"), claim(SECRET * 20)]  # past VARCHAR(200)
    if core_database_url.startswith("sqlite"):  # SQLite stores text of any length
        async with sessions.begin() as session:
            assert len(await insert(session, rows)) == 2
        return
    with pytest.raises(DBAPIError) as caught:
        async with sessions.begin() as session:
            await insert(session, rows)
    assert SECRET not in str(caught.value)
    assert ingest.unstorable(caught.value)  # SQLSTATE 22001: the event's fault, refused alone
    assert await claims(sessions) == 0


async def test_timestamps_are_stored_to_the_microsecond(
    sessions: async_sessionmaker[AsyncSession], core_database_url: str
) -> None:
    # Sent on the driver's connection, one per row or once for a batch, near 1970 or
    # far from it: every one must come back as the instant it was, to the microsecond.
    rng = random.Random(3)
    near = [
        datetime(1970, 1, 1, tzinfo=UTC),
        datetime(1969, 12, 31, 23, 59, 59, 999_999, tzinfo=UTC),
        *(
            datetime.fromtimestamp(rng.uniform(-2e9, 4e9), UTC).replace(microsecond=n)
            for n in rng.choices(range(1_000_000), k=200)
        ),
    ]
    if not core_database_url.startswith("sqlite"):  # SQLite keeps the wall time, not the zone
        india = timezone(timedelta(hours=5, minutes=30))
        near.append(datetime(2026, 12, 1, 16, 43, 17, 500_000, tzinfo=india))
    far = [
        datetime(1600, 2, 29, 0, 0, 0, 1, tzinfo=UTC),
        datetime(2300, 1, 1, 0, 0, 0, 999_999, tzinfo=UTC),
    ]
    same = [far[0]] * 3  # one object in every row: one parameter
    batches = {"near": near, "mixed": [*near[:3], *far], "far": far[:1], "same": same}
    for name, moments in batches.items():
        rows = [claim(f"{name}{i}", occurred_at=m) for i, m in enumerate(moments)]
        async with sessions.begin() as session:
            await insert(session, rows)
    async with sessions() as session:
        query = select(WebhookEvent.event_id, WebhookEvent.occurred_at)
        stored = {key: utc(moment) for key, moment in (await session.execute(query)).all()}
    assert stored == {f"{n}{i}": utc(m) for n, ms in batches.items() for i, m in enumerate(ms)}


def utc(moment: datetime) -> datetime:
    """Return an instant in UTC (SQLite gives back naive UTC datetimes)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
