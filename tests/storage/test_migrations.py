"""The Alembic migrations and the models describe the same schema; start-up migrates.

Each test runs on an empty SQLite file and on an empty PostgreSQL database
(`empty_database_url` reads the backend from the test's id).
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection
from sqlalchemy.ext.asyncio import AsyncEngine

from storage import db
from storage.models import Base


@pytest.fixture(params=["sqlite", "postgresql"])
async def engine(empty_database_url: str) -> AsyncIterator[AsyncEngine]:
    """Return an engine on an empty database of each kind."""
    engine = db.create_engine(empty_database_url)
    try:
        yield engine
    finally:
        await engine.dispose()


def alembic_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


async def test_migrated_schema_matches_the_models(engine: AsyncEngine) -> None:
    await db.upgrade(engine)

    def diff(connection: Connection) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    async with engine.connect() as conn:
        assert await conn.run_sync(diff) == []
    assert await db.current_revision(engine) == db.head_revision()


async def test_upgrade_is_idempotent(engine: AsyncEngine) -> None:
    await db.upgrade(engine)
    await db.upgrade(engine)
    report = await db.check(engine)
    assert report["ok"] is True


async def test_downgrade_to_the_first_revision_and_back(engine: AsyncEngine) -> None:
    await db.upgrade(engine)
    await db.downgrade(engine, "0001")
    assert await db.current_revision(engine) == "0001"
    await db.upgrade(engine)
    assert await db.current_revision(engine) == db.head_revision()


def test_the_head_written_in_db_is_alembics_own_head() -> None:
    # Start-up and /health compare against the constant, without Alembic:
    # a new migration must bump it, or a database at the old head would pass.
    assert ScriptDirectory(str(db.MIGRATIONS)).get_current_head() == db.HEAD_REVISION


async def test_the_revision_read_without_alembic_is_the_one_alembic_reads(
    engine: AsyncEngine,
) -> None:
    assert await db.current_revision(engine) is None  # no version table yet
    for revision in ("0001", "head"):
        await db.upgrade(engine, revision)
        async with engine.connect() as conn:
            assert await conn.run_sync(alembic_revision) == await db.current_revision(engine)
    assert await db.current_revision(engine) == db.HEAD_REVISION


async def test_start_up_migrates_a_fresh_database_and_upgrades_an_old_one(
    engine: AsyncEngine,
) -> None:
    await db.upgrade_if_behind(engine)  # fresh
    assert await db.current_revision(engine) == db.HEAD_REVISION
    await db.downgrade(engine, "0002")
    await db.upgrade_if_behind(engine)  # old
    assert (await db.check(engine))["ok"] is True
    await db.upgrade_if_behind(engine)  # at head: nothing to do
    assert await db.current_revision(engine) == db.HEAD_REVISION
