"""Engines, sessions and migrations for Core's database.

SQLite (through aiosqlite) is the embedded default and PostgreSQL (through
asyncpg) the scaled one; the same models and migrations serve both. Migrations
run at start-up through Alembic on the app's own engine, never `create_all`,
so the schema a test sees is the schema production gets. They run under a
lock (a PostgreSQL advisory lock; for SQLite, a file lock beside the
database), so replicas starting at once migrate one after the other.

Alembic (with Mako and Pygments, about 10 MiB of a serving process) is
imported only when the schema must change or the migrations be listed: a
process that starts on a database already at `HEAD_REVISION` reads the
revision with one query and never loads it (issue #16).
"""

from __future__ import annotations

import asyncio
import contextlib
import fcntl
import logging
import os
from collections.abc import AsyncIterator, Callable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import msgspec
from sqlalchemy import Connection, event, inspect, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DisconnectionError, SQLAlchemyError
from sqlalchemy.ext.asyncio import (
    AsyncConnection,
    AsyncEngine,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.pool import PoolProxiedConnection, PoolResetState
from sqlalchemy.util.concurrency import await_

from core_client.files import private_file
from storage.errors import MigrationError

if TYPE_CHECKING:
    from alembic.config import Config

log = logging.getLogger(__name__)

MIGRATIONS = Path(__file__).parent / "migrations"
# The PostgreSQL advisory lock key migrations hold: any fixed 64-bit number
# unique to this application ("fumbmigr" in ASCII).
MIGRATION_LOCK = 0x66756D626D696772
# The newest migration in migrations/versions/, written out so that start-up
# and /health know it without importing Alembic. A new migration bumps it;
# tests/storage/test_migrations.py fails until it equals Alembic's own head.
HEAD_REVISION = "0006"
# The longest statement text asyncpg keeps prepared per connection (its cache holds 100).
MAX_CACHED_STATEMENT = 256 * 1024
# Alembic's default version table, which migrations/env.py keeps.
VERSION_TABLE = "alembic_version"


def create_engine(url: str, *, echo: bool = False) -> AsyncEngine:
    """Create an async engine, tuned per backend.

    Bound parameters are players' text (chat, roll labels, questions), so
    they are kept out of `echo`'s log lines and out of every error's message
    (`hide_parameters`): a log at any level never holds them.
    """
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        # A `file:` URI (uri=true) names its file in SQLite's own syntax: left alone.
        if parsed.database and parsed.database != ":memory:" and "uri" not in parsed.query:
            private_file(parsed.database)
        engine = create_async_engine(
            url,
            echo=echo,
            hide_parameters=True,
            json_serializer=_json,
            pool_reset_on_return=None,  # `_sqlite_reset` instead
        )
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        event.listen(engine.sync_engine, "reset", _sqlite_reset)
        return engine
    engine = create_async_engine(
        url,
        echo=echo,
        hide_parameters=True,
        json_serializer=_json,
        # asyncpg keeps a prepared statement only up to 15 KiB of text by default; a
        # batch's multi-row insert (storage.pgbulk) is longer, and preparing it again
        # each time cost more CPU than the insert itself.
        connect_args={"max_cacheable_statement_size": MAX_CACHED_STATEMENT},
    )
    event.listen(engine.sync_engine, "connect", _postgres_session)
    event.listen(engine.sync_engine, "checkout", _ping)
    return engine


def _postgres_session(dbapi_conn: Any, _record: Any) -> None:
    """Turn PostgreSQL's JIT compiler off for Core's connections.

    Its cost model judged a batch's insert-and-count statement worth
    compiling somewhere between 100 rows (not compiled) and 500 (the
    outbox's largest delivery), and compiled it on every delivery: at 500
    rows the server spent 121-178 us of CPU per event instead of 52-57, and
    ingest ran at 4,200-6,300 events/s instead of 10,100-11,400
    (docs/benchmarks.md, "PostgreSQL's JIT"). Core's statements are short
    and many; none gains from compiling. A session setting, sent once per
    new connection, not a change to the server's configuration: behind
    pgbouncer's transaction pooling it reaches the server connections Core's
    connections happened to open, and costs nothing where it does not.
    PostgreSQL before 11 has no JIT, and no such setting to refuse.
    """
    driver = dbapi_conn.driver_connection
    if driver.get_server_version().major >= 11:
        dbapi_conn.run_async(lambda conn: conn.execute("SET jit = off"))


def _ping(_dbapi_conn: Any, _record: Any, proxy: PoolProxiedConnection) -> None:
    """Check a PostgreSQL connection as it leaves the pool; a dead one is replaced.

    In place of `pool_pre_ping`, whose asyncpg ping is three round trips
    (`BEGIN`, `;`, `ROLLBACK`: a transaction for pgbouncer's transaction
    mode, though there no ping vouches for the server connection the next
    transaction gets): one query, two round trips less per delivery (the
    claim step, which checks out, 29-30 -> 22-25 us of CPU per event). A
    connection the server dropped (a restart) fails it, and the pool then
    connects afresh (`tests/storage/test_pool_checkout.py`).
    """
    driver: Any = proxy.driver_connection
    try:
        await_(driver.execute("SELECT 1"))  # the simple protocol: one round trip
    except Exception as exc:  # whatever broke it, this connection is not to be used
        raise DisconnectionError() from exc


def failure(exc: BaseException) -> str:
    """Name a database failure for a log line: its type and SQLSTATE, never its text.

    A driver's message may quote the value it refused (PostgreSQL's `DETAIL:
    Key (...)=(...)`, "invalid input syntax: ..."), which is user content.
    """
    cur: BaseException | None = exc
    for _ in range(8):  # the driver's error is a few causes down; never loop on a cycle
        if cur is None:
            break
        if state := getattr(cur, "sqlstate", None) or getattr(cur, "pgcode", None):
            return f"{type(exc).__name__} (SQLSTATE {state})"
        cur = cur.__cause__ or cur.__context__
    return type(exc).__name__


def _json(value: Any) -> str:
    """Serialise a JSON column's value: msgspec, several times faster than `json.dumps`."""
    return msgspec.json.encode(value).decode()


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    # WAL lets readers run beside the single writer; NORMAL sync is durable
    # across application crashes, which is the failure we plan for.
    cursor = dbapi_conn.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()


def _sqlite_reset(dbapi_conn: Any, _record: Any, state: PoolResetState) -> None:
    """Roll back a connection coming back to the pool only if it is in a transaction.

    The pool's own reset rolls back every returning connection, each time a
    round trip to aiosqlite's thread (about 50 us of CPU), though after a
    commit, or a read outside any transaction, SQLite has nothing to roll
    back: whether it has is an attribute of the connection, read here. As
    SQLAlchemy's own reset, it does nothing for a connection garbage-collected
    outside the event loop (`asyncio_safe` false), which the pool then drops.
    """
    if not state.asyncio_safe:  # garbage-collected outside the loop: nothing may be awaited
        return
    driver = dbapi_conn.driver_connection
    if state.terminate_only or driver is None or driver.in_transaction:
        dbapi_conn.rollback()


def sessionmaker(engine: AsyncEngine) -> async_sessionmaker[Any]:
    """Return the session factory Core's handlers use."""
    return async_sessionmaker(engine, expire_on_commit=False)


def _config(connection: Connection | None = None) -> Config:
    from alembic.config import Config

    cfg = Config()
    cfg.set_main_option("script_location", str(MIGRATIONS))
    cfg.attributes["connection"] = connection
    return cfg


def head_revision() -> str:
    """Return the newest migration revision shipped with this code."""
    return HEAD_REVISION


async def upgrade_if_behind(engine: AsyncEngine) -> None:
    """Bring the schema to `HEAD_REVISION`, loading Alembic only if it is not there yet.

    A database at another revision (older, or unknown to this code) goes
    through `upgrade`, which takes the migration lock and lets Alembic decide,
    exactly as an unconditional upgrade would.
    """
    current = await current_revision(engine)
    if current != HEAD_REVISION:
        await upgrade(engine)
        return
    log.info("database schema at revision %s", current)


async def upgrade(engine: AsyncEngine, revision: str = "head") -> None:
    """Apply every pending migration, holding the migration lock."""
    from alembic import command

    await _migrate(engine, command.upgrade, revision, "migrate")
    log.info("database schema at revision %s", await current_revision(engine))


async def downgrade(engine: AsyncEngine, revision: str) -> None:
    """Revert migrations down to `revision` (for operators and tests)."""
    from alembic import command

    await _migrate(engine, command.downgrade, revision, "downgrade")


async def _migrate(
    engine: AsyncEngine, step: Callable[[Config, str], None], revision: str, what: str
) -> None:
    from alembic.util import CommandError

    def run(connection: Connection) -> None:
        step(_config(connection), revision)

    try:
        async with migration_lock(engine) as conn:
            await conn.run_sync(run)
    except (SQLAlchemyError, CommandError) as exc:  # CommandError: e.g. no such revision
        raise MigrationError(f"could not {what} the database: {exc}") from exc


@contextlib.asynccontextmanager
async def migration_lock(engine: AsyncEngine) -> AsyncIterator[AsyncConnection]:
    """Open a transaction that holds the migration lock until it ends.

    Two replicas starting at once would both run the same DDL; the second
    waits here until the first commits, then finds nothing left to do.
    """
    async with _file_lock(engine), engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            await conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": MIGRATION_LOCK})
        yield conn


@contextlib.asynccontextmanager
async def _file_lock(engine: AsyncEngine) -> AsyncIterator[None]:
    """Hold an exclusive lock on `<database>.migrate.lock` beside a SQLite file."""
    database = engine.url.database
    if engine.url.get_backend_name() != "sqlite" or not database or database == ":memory:":
        yield
        return
    fd = os.open(f"{database}.migrate.lock", os.O_RDWR | os.O_CREAT, 0o600)
    try:
        # flock blocks, so it waits on a thread; the lock is per open file, so
        # it also keeps two engines of one process apart.
        await asyncio.to_thread(fcntl.flock, fd, fcntl.LOCK_EX)
        yield
    finally:
        os.close(fd)  # closing releases the lock


def history() -> list[tuple[str, str | None, str]]:
    """Return the shipped migrations, newest first: (revision, its parent, its summary)."""
    from alembic.script import ScriptDirectory

    scripts = ScriptDirectory.from_config(_config())
    return [
        (str(s.revision), _parent(s.down_revision), (s.doc or "").strip())
        for s in scripts.walk_revisions()
    ]


def _parent(down: str | Sequence[str] | None) -> str | None:
    return down if down is None or isinstance(down, str) else ",".join(down)


async def current_revision(engine: AsyncEngine) -> str | None:
    """Return the revision the database is at; None before its first migration.

    Read as Alembic's `MigrationContext.get_current_revision` reads it (is
    there a version table, and its one row), without importing Alembic.
    """

    def has_version_table(connection: Connection) -> bool:
        return inspect(connection).has_table(VERSION_TABLE)

    async with engine.connect() as conn:
        if not await conn.run_sync(has_version_table):
            return None
        rows = (await conn.execute(text(f"SELECT version_num FROM {VERSION_TABLE}"))).all()
    if len(rows) > 1:  # our history is one line: several heads mean someone branched it
        raise MigrationError(f"the database records {len(rows)} revisions at once")
    return str(rows[0][0]) if rows else None


async def check(engine: AsyncEngine) -> dict[str, Any]:
    """Report whether the database answers, takes writes, and its schema is current."""
    try:
        async with engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        current = await current_revision(engine)
    except (SQLAlchemyError, OSError) as exc:
        return {"database": "unreachable", "error": type(exc).__name__, "ok": False}
    writable = await _writable(engine)
    head = head_revision()
    return {
        "database": "ok",
        "writable": writable,
        "revision": current,
        "head": head,
        "migrations_current": current == head,
        "ok": current == head and writable,
    }


async def _writable(engine: AsyncEngine) -> bool:
    """Return whether the database takes a write (a full disk, a read-only replica or
    file system refuse it), by rewriting the schema's version row and rolling back."""
    try:
        async with engine.connect() as conn, conn.begin() as transaction:
            await conn.execute(text("UPDATE alembic_version SET version_num = version_num"))
            await transaction.rollback()
    except (SQLAlchemyError, OSError) as exc:
        log.warning("Core's database refuses writes: %s", type(exc).__name__)
        return False
    return True
