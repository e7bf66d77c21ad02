"""SQLite connections coming back to the pool: rolled back only when in a transaction."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy import text
from sqlalchemy.pool import PoolResetState
from sqlalchemy.util import greenlet_spawn

from storage import db


async def test_a_connection_returned_inside_a_transaction_is_rolled_back(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'core.sqlite3'}")
    try:
        async with engine.begin() as conn:
            await conn.execute(text("CREATE TABLE t (n INTEGER)"))
        raw = await engine.raw_connection()  # the pool's connection, left mid-transaction
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute("BEGIN IMMEDIATE")  # holds SQLite's one write lock
        await driver.execute("INSERT INTO t VALUES (1)")
        assert driver.in_transaction
        await greenlet_spawn(raw.close)  # back to the pool: the reset must roll it back
        assert not driver.in_transaction
        async with engine.begin() as conn:  # the write lock is free again
            await conn.execute(text("INSERT INTO t VALUES (2)"))
        async with engine.connect() as conn:
            assert (await conn.execute(text("SELECT n FROM t"))).scalars().all() == [2]
    finally:
        await engine.dispose()


async def test_a_committed_connection_keeps_its_work(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'core.sqlite3'}")
    try:
        sessions = db.sessionmaker(engine)
        async with sessions.begin() as session:
            await session.execute(text("CREATE TABLE t (n INTEGER)"))
            await session.execute(text("INSERT INTO t VALUES (7)"))
        async with sessions() as session:
            assert (await session.execute(text("SELECT n FROM t"))).scalars().all() == [7]
    finally:
        await engine.dispose()


async def test_a_connection_the_collector_finalizes_is_left_to_the_pool(tmp_path: Path) -> None:
    # The collector finalizes an unreturned connection outside any greenlet
    # (`asyncio_safe` false): awaiting a rollback there fails, or waits on a
    # loop not running it, so the reset leaves it to the pool, which drops it.
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path / 'core.sqlite3'}")
    try:
        raw = await engine.raw_connection()
        driver = raw.driver_connection
        assert driver is not None
        await driver.execute("BEGIN IMMEDIATE")
        collected = PoolResetState(
            transaction_was_reset=False, terminate_only=False, asyncio_safe=False
        )
        db._sqlite_reset(raw.dbapi_connection, None, collected)  # outside a greenlet: no await
        assert driver.in_transaction
        await greenlet_spawn(raw.close)  # returned as usual: rolled back
        assert not driver.in_transaction
    finally:
        await engine.dispose()
