"""Every storage test runs on SQLite and on the real PostgreSQL.

Each test gets its own database, cloned from one migrated once per run (a
file copy for SQLite, `CREATE DATABASE ... TEMPLATE` for PostgreSQL): the
schema is the migrations' own, at a fraction of the cost of migrating per
test. `tests/storage/test_migrations.py` still migrates empty databases.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import shutil
import uuid
from collections.abc import AsyncIterator, Callable, Coroutine, Iterator
from pathlib import Path
from typing import Any

import pytest

from storage import db
from storage.crypto import generate_key
from storage.settings import ApiKeyGrant, CoreSettings
from tests.support.core import SCOPED_CAMPAIGN, SCOPED_KEY
from tests.support.services import PG_DSN, fresh_postgres_database, unavailable


def _run(make: Callable[[], Coroutine[Any, Any, None]]) -> None:
    # Session fixtures may be first requested from inside a test's running
    # loop, where asyncio.run() is refused: run them on a thread of their own.
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        pool.submit(lambda: asyncio.run(make())).result()


async def _migrate(url: str) -> None:
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine)
    finally:
        await engine.dispose()


@pytest.fixture(scope="session")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Return a SQLite file migrated to head, to copy per test."""
    path = tmp_path_factory.mktemp("template") / "core.sqlite3"
    _run(lambda: _migrate(f"sqlite+aiosqlite:///{path}"))
    return path


@pytest.fixture(scope="session")
def postgres_template() -> Iterator[str | BaseException]:
    """Return the name of a PostgreSQL database migrated to head (or why there is none)."""
    import asyncpg

    name = f"fb_tmpl_{uuid.uuid4().hex[:12]}"

    async def create() -> None:
        admin = await asyncpg.connect(PG_DSN, timeout=5)
        try:
            await admin.execute(f'CREATE DATABASE "{name}"')
        finally:
            await admin.close()
        await _migrate(f"{_base()}/{name}")

    async def drop() -> None:
        admin = await asyncpg.connect(PG_DSN, timeout=5)
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        finally:
            await admin.close()

    try:
        _run(create)
    except (OSError, asyncpg.PostgresError) as exc:
        yield exc
        return
    yield name
    _run(drop)


def _base() -> str:
    return PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
async def core_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Return a migrated database of each supported kind, private to the test."""
    if request.param == "sqlite":
        template = request.getfixturevalue("sqlite_template")
        shutil.copy(template, tmp_path / "core.sqlite3")
        yield f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3"
        return
    template = request.getfixturevalue("postgres_template")
    if isinstance(template, BaseException):
        unavailable(f"PostgreSQL at {PG_DSN}", template)
    async with _clone(str(template)) as url:
        yield url


@contextlib.asynccontextmanager
async def _clone(template: str) -> AsyncIterator[str]:
    import asyncpg

    name = f"fb_test_{uuid.uuid4().hex[:12]}"
    admin = await asyncpg.connect(PG_DSN, timeout=5)
    try:
        await admin.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
        yield f"{_base()}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


@pytest.fixture
async def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> AsyncIterator[str]:
    """Return an empty database of the kind `core_database_url` is parametrized with."""
    if "sqlite" in request.node.name:
        yield f"sqlite+aiosqlite:///{tmp_path}/empty.sqlite3"
        return
    async with fresh_postgres_database() as url:
        yield url


@pytest.fixture
def core_settings(core_database_url: str, webhook_secret: str, core_api_key: str) -> CoreSettings:
    """Return Core's settings: a service key, and a key scoped to campaign "guild:1"."""
    return CoreSettings(
        database_url=core_database_url,
        signing_secrets=(webhook_secret,),
        api_keys=(core_api_key,),
        scoped_api_keys=(ApiKeyGrant(SCOPED_KEY, (SCOPED_CAMPAIGN,)),),
        encryption_key=generate_key(),
    )
