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

from sqlalchemy import DateTime, Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncSession

from storage import pgbulk

log = logging.getLogger(__name__)

# Host parameters per statement: SQLite allows 32,766, PostgreSQL 65,535.
MAX_PARAMETERS = 30_000


async def insert(
    session: AsyncSession,
    table: Any,
    rows: Sequence[Mapping[str, Any]],
    *,
    conflict: Sequence[str],
    add: Sequence[str] = (),
    returning: str | None = None,
) -> list[Any]:
    """Insert rows (all with the same keys); on a `conflict` key, add the `add` columns.

    With no `add` columns a conflicting row is skipped. Returns the
    `returning` column of the rows written (inserted, or added to), if asked.
    """
    if not rows:
        return []
    assert isinstance(table, Table)
    columns = tuple(rows[0])
    conn = await session.connection()
    dialect = conn.dialect
    convert = _processors(table, columns, dialect)
    per_statement = max(1, MAX_PARAMETERS // len(columns))
    found: list[Any] = []
    for start in range(0, len(rows), per_statement):
        chunk = rows[start : start + per_statement]
        if dialect.name == "postgresql":  # on asyncpg's own connection, repeats sent once
            args = (tuple(conflict), tuple(add), returning)
            found += await pgbulk.insert(conn, table, chunk, convert, *args)
            continue
        sql = _statement(
            dialect, table.name, columns, len(chunk), tuple(conflict), tuple(add), returning
        )
        result = await execute(conn, sql, _values(chunk, columns, convert))
        if returning is not None:
            found += [r[0] for r in result]
    return found


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
    driver = conn.sync_connection.connection.driver_connection if conn.sync_connection else None
    logged = conn.sync_engine.logger.isEnabledFor(logging.INFO)
    if conn.dialect.name != "sqlite" or driver is None or logged:
        result = await conn.exec_driver_sql(sql, values)
        return list(result) if result.returns_rows else []
    try:
        return list(await driver.execute_fetchall(sql, values))
    except sqlite3.Error as exc:
        raise DBAPIError.instance(sql, values, exc, sqlite3.Error, hide_parameters=True) from exc


def _values(
    rows: Sequence[Mapping[str, Any]],
    columns: tuple[str, ...],
    convert: list[tuple[int, Callable[[Any], Any], bool]],
) -> tuple[Any, ...]:
    """Return the rows' values, flat, each converted as its column's type does."""
    get = operator.itemgetter(*columns)
    memos: dict[int, dict[Any, Any]] = {i: {} for i, _, memo in convert if memo}
    flat: list[Any] = []
    for row in rows:
        values = list(get(row)) if len(columns) > 1 else [get(row)]
        for i, fn, memo in convert:
            value = values[i]
            if memo:  # a batch's rows share their timestamps: convert each once
                seen = memos[i]
                if value not in seen:
                    seen[value] = fn(value)
                values[i] = seen[value]
            else:
                values[i] = fn(value)
        flat += values
    return tuple(flat)


@functools.lru_cache(maxsize=64)
def _processors(
    table: Table, columns: tuple[str, ...], dialect: Dialect
) -> list[tuple[int, Callable[[Any], Any], bool]]:
    """Return (index, bind processor, memoize?) of each column SQLAlchemy converts."""
    out: list[tuple[int, Callable[[Any], Any], bool]] = []
    for i, name in enumerate(columns):
        kind = table.c[name].type
        fn = kind.dialect_impl(dialect).bind_processor(dialect)
        if fn is not None:
            out.append((i, fn, isinstance(kind, DateTime)))
    return out


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
    quote = dialect.identifier_preparer.quote
    width = len(columns)
    if dialect.paramstyle == "numeric_dollar":
        marks = [
            "(" + ", ".join(f"${r * width + i + 1}" for i in range(width)) + ")"
            for r in range(rows)
        ]
    else:
        marks = ["(" + ", ".join("?" * width) + ")"] * rows
    names = ", ".join(quote(c) for c in columns)
    keys = ", ".join(quote(c) for c in conflict)
    if add:
        sets = ", ".join(
            f"{quote(c)} = {quote(table)}.{quote(c)} + excluded.{quote(c)}" for c in add
        )
        action = f"DO UPDATE SET {sets}"
    else:
        action = "DO NOTHING"
    values = ", ".join(marks)
    sql = f"INSERT INTO {quote(table)} ({names}) VALUES {values} ON CONFLICT ({keys}) {action}"
    return sql + (f" RETURNING {quote(returning)}" if returning else "")
