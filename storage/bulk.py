"""Bulk inserts at the driver: one statement per batch, values as SQLAlchemy stores them.

Ingest writes a few hundred rows per delivery into the event claims, the
rolls and their tallies. SQLAlchemy's executemany builds a parameter dict
per row and runs each one through its statement machinery, which cost more
CPU than the database's own work (docs/benchmarks.md, "Core ingest"). Here a
batch is one multi-row `INSERT ... ON CONFLICT` whose text is built once
per table, columns, row count and dialect (the driver then reuses its
prepared statement), whose values go through each column's own bind
processor, so they are stored exactly as the ORM would store them, and
which runs on the session's connection, inside its transaction (on SQLite
on the driver's own connection: `execute`).
"""

from __future__ import annotations

import functools
import logging
import operator
import sqlite3
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from sqlalchemy import DateTime, Table, Uuid
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage import pgbulk, upsert

log = logging.getLogger(__name__)

# Host parameters per statement: SQLite allows 32,766, PostgreSQL 65,535.
MAX_PARAMETERS = 30_000


async def insert(
    session: AsyncSession,
    table: Any,
    rows: Sequence[Mapping[str, Any]] | Sequence[tuple[Any, ...]],
    *,
    conflict: Sequence[str],
    add: Sequence[str] = (),
    returning: str | None = None,
    columns: tuple[str, ...] | None = None,
) -> list[Any]:
    """Insert rows (all with the same keys); on a `conflict` key, add the `add` columns.

    Rows are dicts, or tuples of the `columns` given, in their order. With
    no `add` columns a conflicting row is skipped. Returns the `returning`
    column of the rows written (inserted, or added to), if asked.
    """
    if not rows:
        return []
    assert isinstance(table, Table)
    positional = columns is not None
    columns = columns if columns is not None else tuple(rows[0])
    conn = await connection(session)
    dialect = conn.dialect
    encode = encoder(table, columns, dialect, positional)
    keys = (tuple(conflict), tuple(add))
    if (driver := _sqlite_driver(conn)) is not None:
        sql = _statement(dialect, table.name, columns, 1, *keys, None)
        written = await _insert_many(driver, sql, encode(rows))
        if returning is None or not written:
            return []
        if written == len(rows):  # every row: the caller's rows say which
            pick = operator.itemgetter(columns.index(returning) if positional else returning)
            return [pick(row) for row in rows]
        assert not add, "only skipped conflicts leave the rows written in rowid order"
        return await _newest(driver, dialect, table.name, returning, written)
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    found: list[Any] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        if dialect.name == "postgresql":  # on asyncpg's own connection, repeats sent once
            found += await pgbulk.insert(conn, table, columns, encode(chunk), *keys, returning)
            continue
        sql = _statement(dialect, table.name, columns, len(chunk), *keys, returning)
        values = tuple(value for row in encode(chunk) for value in row)
        result = await execute(conn, sql, values)
        if returning is not None:
            found += [r[0] for r in result]
    return found


async def _insert_many(driver: Any, sql: str, values: list[tuple[Any, ...]]) -> int:
    """Run a row statement over rows with SQLite's executemany; return how many it wrote.

    Stepping one cached single-row statement costs SQLite about half of
    what one multi-row `VALUES` list does (measured in docs/benchmarks.md),
    but returns no rows: `insert` reads which were written off the count.
    """
    try:
        cursor = await driver.executemany(sql, values)
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, (), exc, sqlite3.Error, hide_parameters=True) from exc
    written: int = cursor.rowcount
    return written


async def _newest(driver: Any, dialect: Dialect, table: str, column: str, count: int) -> list[Any]:
    """Return `column` of the `count` rows of `table` this transaction inserted last.

    Each insert takes the next rowid, and the transaction holds SQLite's one
    write lock from its first write to its commit, so nobody else's rows
    come after ours: ours are the highest rowids.
    """
    quote = dialect.identifier_preparer.quote
    name = quote(table)
    sql = f"SELECT {quote(column)} FROM {name} WHERE rowid > (SELECT max(rowid) FROM {name}) - ?"
    return [r[0] for r in await _execute_on(driver, sql, (count,))]


_CONNECTION = "bulk.connection"


async def connection(session: AsyncSession) -> AsyncConnection:
    """Return the connection of the session's transaction, asked of SQLAlchemy once per transaction.

    `session.connection()` costs about 27 us of CPU each time (a greenlet
    round), and ingest asks for it once per statement. It is kept in the
    session's `info` with the transaction it belongs to, so a later
    transaction of the same session asks again.
    """
    transaction = session.sync_session.get_transaction()
    kept = session.info.get(_CONNECTION)
    if transaction is not None and kept is not None and kept[0] is transaction:
        conn: AsyncConnection = kept[1]
        return conn
    conn = await session.connection()
    session.info[_CONNECTION] = (session.sync_session.get_transaction(), conn)
    return conn


def _sqlite_driver(conn: AsyncConnection) -> Any:
    """Return aiosqlite's own connection under `conn`, or None where SQLAlchemy must run it.

    None on other databases, and while the engine logs its statements
    (`core.echo_sql`), so the log still shows every one.
    """
    if conn.dialect.name != "sqlite" or conn.sync_connection is None:
        return None
    if conn.sync_engine.logger.isEnabledFor(logging.INFO):
        return None
    return conn.sync_connection.connection.driver_connection


async def execute(conn: AsyncConnection, sql: str, values: tuple[Any, ...] = ()) -> Sequence[Any]:
    """Run one statement in the connection's transaction; return its rows.

    On SQLite straight on aiosqlite's connection (the same one, so the same
    transaction): one hop to its thread, where SQLAlchemy's cursor takes four
    (cursor, execute, fetch, close), 24 against 136 us of CPU for a
    `SELECT 1` here. Driver errors are raised as SQLAlchemy's, as they were.
    While the engine logs its statements (`core.echo_sql`), they go through
    SQLAlchemy, so the log still shows every one.
    """
    if conn.dialect.name == "postgresql":  # on asyncpg's own connection, as SQLite's below
        return await pgbulk.execute(conn, sql, values)
    driver = _sqlite_driver(conn)
    if driver is None:
        result = await conn.exec_driver_sql(sql, values)
        return list(result) if result.returns_rows else []
    return await _execute_on(driver, sql, values)


async def _execute_on(driver: Any, sql: str, values: tuple[Any, ...]) -> list[Any]:
    """Run one statement on aiosqlite's connection; driver errors raised as SQLAlchemy's."""
    try:
        return list(await driver.execute_fetchall(sql, values))
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error, hide_parameters=True) from exc


Encoder = Callable[[Sequence[Any]], list[tuple[Any, ...]]]


@functools.lru_cache(maxsize=64)
def encoder(
    table: Table, columns: tuple[str, ...], dialect: Dialect, positional: bool = False
) -> Encoder:
    """Return a function from rows (dicts, or tuples if `positional`) to the driver's values.

    Each value goes through its column's own bind processor, so it is stored
    exactly as the ORM would store it. The function is generated once per
    table, columns and dialect, one tuple expression per row (as `dataclasses`
    generates `__init__`): a loop over the columns and their processors cost
    twice the conversions themselves. Ids other than the row's own repeat
    within a batch (a few campaigns and players): each distinct one is
    converted once per batch. So are timestamps, across tables too (`_instants`).
    """
    env: dict[str, Any] = {}
    memos, values = [], []
    for i, name in enumerate(columns):
        column = table.c[name]
        fn = column.type.dialect_impl(dialect).bind_processor(dialect)
        get = f"row[{i}]" if positional else f"row[{name!r}]"
        if fn is None:
            values.append(get)
            continue
        if type(column.type) is DateTime:  # a subtype may convert otherwise
            env[f"p{i}"] = _instants(dialect, bool(column.type.timezone))
            values.append(f"p{i}({get})")
            continue
        env[f"p{i}"] = fn
        if column.foreign_keys or (isinstance(column.type, Uuid) and not column.primary_key):
            memos.append(f"m{i} = {{}}")
            values.append(f"(m{i}[v] if (v := {get}) in m{i} else m{i}.setdefault(v, p{i}(v)))")
        else:
            values.append(f"p{i}({get})")
    lines = ["def encode(rows):", *(f"    {m}" for m in memos)]
    lines.append(f"    return [({', '.join(values)},) for row in rows]")
    exec("\n".join(lines), env)  # the text is made of the table's own column names
    encode: Encoder = env["encode"]
    return encode


@functools.lru_cache(maxsize=8)
def _instants(dialect: Dialect, timezone: bool) -> Callable[[Any], Any]:
    """Return the dialect's conversion of a timestamp, remembering recent ones.

    An event's moment is stored twice (its claim's `occurred_at`, its roll's
    `rolled_at`) and a batch's `created_at` on every row; SQLite's text form
    costs about 2 us to make, so each instant is made once.
    """
    fn = DateTime(timezone=timezone).dialect_impl(dialect).bind_processor(dialect)
    return functools.lru_cache(maxsize=4096)(fn or (lambda value: value))


@functools.lru_cache(maxsize=512)
def _statement(
    dialect: Dialect,
    table: str,
    columns: tuple[str, ...],
    rows: int,
    conflict: tuple[str, ...],
    add: tuple[str, ...],
    returning: str | None,
) -> str:
    """Return the multi-row INSERT with `?` marks: PostgreSQL's are `pgbulk`'s, its `$n`."""
    marks = ["(" + ", ".join("?" * len(columns)) + ")"] * rows
    return upsert.insert_sql(dialect, table, columns, marks, conflict, add, returning)
