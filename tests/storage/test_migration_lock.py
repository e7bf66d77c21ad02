"""Replicas starting at once migrate one after the other (`storage.db.migration_lock`).

Without the lock, two upgrades of one empty database race on the same DDL:
on PostgreSQL the second fails on a table the first just created, on SQLite
on a table that exists or a database that stays locked.
"""

from __future__ import annotations

import asyncio
import os
import stat
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import text

from storage import db
from tests.support.services import fresh_postgres_database


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def empty_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3"
        return
    async with fresh_postgres_database() as url:
        yield url


async def test_two_replicas_upgrading_at_once_both_start_on_one_schema(empty_url: str) -> None:
    engines = [db.create_engine(empty_url) for _ in range(2)]
    try:
        await asyncio.gather(*(db.upgrade(engine) for engine in engines))
        for engine in engines:
            assert await db.current_revision(engine) == db.head_revision()
        async with engines[0].connect() as conn:
            versions = (await conn.execute(text("SELECT version_num FROM alembic_version"))).all()
        assert [v[0] for v in versions] == [db.head_revision()]
    finally:
        for engine in engines:
            await engine.dispose()


async def test_the_sqlite_lock_file_is_the_owners_alone(tmp_path: Path) -> None:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3")
    try:
        await db.upgrade(engine)
    finally:
        await engine.dispose()
    mode = os.stat(tmp_path / "core.sqlite3.migrate.lock").st_mode
    assert stat.S_IMODE(mode) == 0o600
