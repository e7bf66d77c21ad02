"""The Alembic migrations and the models describe the same schema; start-up migrates.

Each test runs on an empty SQLite file and an empty PostgreSQL database
(`empty_database_url` reads the backend from the test's name).
"""

from __future__ import annotations

from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection

from storage import db
from storage.models import Base

BACKENDS = pytest.mark.parametrize("backend", ["sqlite", "postgresql"])


@BACKENDS
async def test_migrated_schema_matches_the_models(empty_database_url: str, backend: str) -> None:
    engine = db.create_engine(empty_database_url)
    try:
        await db.upgrade(engine)

        def diff(connection: Connection) -> list[Any]:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            return list(compare_metadata(context, Base.metadata))

        async with engine.connect() as conn:
            assert await conn.run_sync(diff) == []
        assert await db.current_revision(engine) == db.head_revision()
    finally:
        await engine.dispose()


@BACKENDS
async def test_upgrade_is_idempotent(empty_database_url: str, backend: str) -> None:
    engine = db.create_engine(empty_database_url)
    try:
        await db.upgrade(engine)
        await db.upgrade(engine)
        report = await db.check(engine)
        assert report["ok"] is True
    finally:
        await engine.dispose()


@BACKENDS
async def test_downgrade_to_the_first_revision_and_back(
    empty_database_url: str, backend: str
) -> None:
    engine = db.create_engine(empty_database_url)
    try:
        await db.upgrade(engine)
        await db.downgrade(engine, "0001")
        assert await db.current_revision(engine) == "0001"
        await db.upgrade(engine)
        assert await db.current_revision(engine) == db.head_revision()
    finally:
        await engine.dispose()


def test_the_head_written_in_db_is_alembics_own_head() -> None:
    # Start-up and /health compare against the constant, without Alembic:
    # a new migration must bump it, or a database at the old head would pass.
    assert ScriptDirectory(str(db.MIGRATIONS)).get_current_head() == db.HEAD_REVISION


def alembic_revision(connection: Connection) -> str | None:
    return MigrationContext.configure(connection).get_current_revision()


@BACKENDS
async def test_the_revision_read_without_alembic_is_the_one_alembic_reads(
    empty_database_url: str, backend: str
) -> None:
    engine = db.create_engine(empty_database_url)
    try:
        seen = [await db.current_revision(engine)]  # no version table yet
        await db.upgrade(engine, "0001")
        seen.append(await db.current_revision(engine))
        async with engine.connect() as conn:
            assert await conn.run_sync(alembic_revision) == seen[-1]
        await db.upgrade(engine)
        async with engine.connect() as conn:
            assert await conn.run_sync(alembic_revision) == await db.current_revision(engine)
        assert seen == [None, "0001"]
    finally:
        await engine.dispose()


@BACKENDS
async def test_start_up_migrates_a_fresh_database_and_upgrades_an_old_one(
    empty_database_url: str, backend: str
) -> None:
    engine = db.create_engine(empty_database_url)
    try:
        await db.upgrade_if_behind(engine)  # fresh
        assert await db.current_revision(engine) == db.HEAD_REVISION
        await db.downgrade(engine, "0002")
        await db.upgrade_if_behind(engine)  # old
        assert (await db.check(engine))["ok"] is True
        await db.upgrade_if_behind(engine)  # at head: nothing to do
        assert await db.current_revision(engine) == db.HEAD_REVISION
    finally:
        await engine.dispose()
