"""Engines, sessions and migrations for Core's database.

SQLite (through aiosqlite) is the embedded default and PostgreSQL (through
asyncpg) the scaled one; the same models and migrations serve both. Migrations
run at start-up through Alembic on the app's own engine, never `create_all`,
so the schema a test sees is the schema production gets.
"""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncEngine, async_sessionmaker, create_async_engine

from storage.errors import MigrationError

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create an async engine, tuned per backend."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database and parsed.database != ":memory:":
            Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
        engine = create_async_engine(url, echo=echo)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    return create_async_engine(url, echo=echo, pool_pre_ping=True)


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; NORMAL sync is durable
    # across application crashes, which is the failure we plan for.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    """Return the session factory Core's handlers use."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _config(connection: Connection | None = None) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str | None:
    """Return the newest migration revision shipped with this code."""
    return ScriptDirectory.from_config(_config()).get_current_head()


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply every pending migration."""

    def run(connection: Connection) -> None:
        command.upgrade(_config(connection), revision)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    except SQLAlchemyError as exc:
        raise MigrationError(f"could not migrate the database: {exc}") from exc
    log.info("database schema at revision %s", head_revision())


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Revert migrations down to `revision` (for operators and tests)."""

    def run(connection: Connection) -> None:
        command.downgrade(_config(connection), revision)

    try:
        async with engine.begin() as conn:
            await conn.run_sync(run)
    except SQLAlchemyError as exc:
        raise MigrationError(f"could not downgrade the database: {exc}") from exc


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at."""

    def read(connection: Connection) -> str | None:
        return MigrationContext.configure(connection).get_current_revision()

    async with engine.connect() as conn:
        return await conn.run_sync(read)


async def check(engine: AsyncEngine) -> dict[str, Any]:
    """Report whether the database answers and its schema is current."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = await current_revision(engine)
    except (SQLAlchemyError, OSError) as exc:
        return {"database": "unreachable", "error": type(exc).__name__, "ok": False}
    head = head_revision()
    return {
        "database": "ok",
        "revision": current,
        "head": head,
        "migrations_current": current == head,
        "ok": current == head,
    }
