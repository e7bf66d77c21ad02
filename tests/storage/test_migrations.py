"""The Alembic migrations and the models describe the same schema."""

from __future__ import annotations

from typing import Any

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Connection

from storage import db
from storage.models import Base


async def test_migrated_schema_matches_the_models(empty_database_url: str) -> None:
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


async def test_upgrade_is_idempotent(empty_database_url: str) -> None:
    engine = db.create_engine(empty_database_url)
    try:
        await db.upgrade(engine)
        await db.upgrade(engine)
        report = await db.check(engine)
        assert report["ok"] is True
    finally:
        await engine.dispose()


async def test_downgrade_to_the_first_revision_and_back(empty_database_url: str) -> None:
    engine = db.create_engine(empty_database_url)
    try:
        await db.upgrade(engine)
        await db.downgrade(engine, "0001")
        assert await db.current_revision(engine) == "0001"
        await db.upgrade(engine)
        assert await db.current_revision(engine) == db.head_revision()
    finally:
        await engine.dispose()
