"""Bulk inserts on PostgreSQL, on asyncpg's own connection, each repeated value sent once.

`storage.bulk` dispatches here on PostgreSQL. Through SQLAlchemy's asyncpg
adapter its multi-row `INSERT ... VALUES` cost Core about 200 us of CPU per
event (docs/benchmarks.md, "Core ingest"): the adapter's own work per
statement, and asyncpg encoding every value. Here the statement runs on the
asyncpg connection under the session's connection, inside its transaction,
and a column that holds one value in every row of a batch (the batch's
`created_at` and `updated_at`, an event type, NULLs) is one parameter,
however many rows name it. Values still go through each column's bind
processor first (`bulk`'s encoder: JSON serialised by the engine's
serializer, booleans coerced), so rows are stored as the ORM would store
them.

Measured and dropped: one array per column (`INSERT ... SELECT * FROM
unnest($1::text[], ...)`), since asyncpg encodes a text array's element in
about 1 us and the same text as its own parameter in about 0.15 (a batch's
claims on the driver's connection: 12.6 us per event, no better than one
parameter per value); timestamps sent as whole
microseconds since 1970, 0.4 us per event less for each timestamp column,
not worth the arithmetic.

Driver errors are raised as SQLAlchemy's DBAPIError, translated as its
adapter translates them (so `ingest.unstorable` and the 503 handler read
them as before), with no bound value in the message. While the engine logs
its statements (`core.echo_sql`), they go through SQLAlchemy, so the log
shows every one.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.engine import Dialect
from sqlalchemy.exc import DBAPIError
from sqlalchemy.ext.asyncio import AsyncConnection

from storage import upsert

log = logging.getLogger(__name__)


async def insert(
    conn: AsyncConnection,
    table: Table,
    columns: tuple[str, ...],
    values: Sequence[tuple[Any, ...]],
    conflict: tuple[str, ...],
    add: tuple[str, ...] = (),
    returning: str | None = None,
) -> list[Any]:
    """Insert rows as `bulk.insert` does (its contract), in one statement.

    `values` are the rows of `columns`, already through the columns' bind
    processors (`bulk`'s encoder).
    """
    sql, flat = statement_of(conn.dialect, table, columns, values, conflict, add, returning)
    result = await execute(conn, sql, flat)
    return [r[0] for r in result] if returning is not None else []


def statement_of(
    dialect: Dialect,
    table: Table,
    columns: tuple[str, ...],
    values: Sequence[tuple[Any, ...]],
    conflict: tuple[str, ...],
    add: tuple[str, ...] = (),
    returning: str | None = None,
) -> tuple[str, tuple[Any, ...]]:
    """Return the statement inserting rows of encoded `values` and its parameters, flat.

    A column holding one value in every row (a batch's `created_at`, a
    platform, NULLs) is sent once: a batch's claims cost 12.5 us of CPU per
    event with every value sent, 9 with these once.
    """
    varying: list[Sequence[Any]] = []
    once: list[Any] = []
    shape: list[bool] = []  # per column: one value in every row?
    for column in zip(*values, strict=True):
        first = column[0]
        # One value throughout: `count` compares in C, identity first (about
        # 0.3 us for 100 rows against 2.9 for a generator of `is` tests).
        shape.append(column.count(first) == len(column))
        if shape[-1]:
            once.append(first)
        else:
            varying.append(column)
    shaped = (columns, len(values), tuple(shape))
    sql = _statement(dialect, table.name, *shaped, conflict, add, returning)
    flat = [v for row in zip(*varying, strict=True) for v in row]
    return sql, (*flat, *once)


async def execute(conn: AsyncConnection, sql: str, values: tuple[Any, ...] = ()) -> Sequence[Any]:
    """Run one statement (`$n` parameters) in the connection's transaction; return its rows."""
    raw = await _pooled(conn)
    adapted: Any = raw.dbapi_connection
    driver: Any = raw.driver_connection
    if driver is None or conn.sync_engine.logger.isEnabledFor(logging.INFO):
        result = await conn.exec_driver_sql(sql, values)
        return list(result) if result.returns_rows else []
    try:
        async with adapted._execute_mutex:
            # SQLAlchemy's adapter begins the connection's transaction lazily, with
            # its first statement: begun here as it would, or this would autocommit.
            if adapted._transaction is None and adapted.isolation_level != "autocommit":
                await adapted._start_transaction()
            return list(await driver.fetch(sql, *values))
    except Exception as exc:  # a dropped connection: the pool's checkout check replaces it
        raise _translated(conn.dialect, adapted, sql, exc) from exc


async def _pooled(conn: AsyncConnection) -> Any:
    """Return the pool's connection under `conn`, without a greenlet round where none is due.

    `get_raw_connection` runs SQLAlchemy's property in a greenlet (about 25
    us of CPU, per statement) in case it must reconnect; it must only once
    the connection was invalidated: otherwise the property just returns it.
    """
    sync = conn.sync_connection
    if sync is not None and not sync.invalidated:
        return sync.connection
    return await conn.get_raw_connection()


def _translated(dialect: Dialect, adapted: Any, sql: str, exc: Exception) -> Exception:
    """Return the error SQLAlchemy would raise for a driver error: a DBAPIError, no values."""
    error = exc
    if not isinstance(exc, dialect.loaded_dbapi.Error):  # begin raises the adapter's own
        try:
            adapted._handle_exception(exc)  # raises the adapter's (DB-API) error for it
        except Exception as dbapi_error:
            error = dbapi_error
    dbapi = dialect.loaded_dbapi
    return DBAPIError.instance(sql, None, error, dbapi.Error, hide_parameters=True, dialect=dialect)


@functools.lru_cache(maxsize=512)
def _statement(
    dialect: Dialect,
    table: str,
    columns: tuple[str, ...],
    rows: int,
    shape: tuple[bool, ...],
    conflict: tuple[str, ...],
    add: tuple[str, ...],
    returning: str | None,
) -> str:
    """Return the multi-row INSERT: `$n` per value, a column of one value in `shape` once."""
    marks = _marks(rows, shape)
    return upsert.insert_sql(dialect, table, columns, marks, conflict, add, returning)


def _marks(rows: int, shape: tuple[bool, ...]) -> list[str]:
    """Return each row's `($1, $2, ...)`: the varying values row by row, then one per
    column of one value (the same mark in every row), as `statement_of` lays them out."""
    width = shape.count(False)
    once, n = {}, rows * width
    for i, is_constant in enumerate(shape):
        if is_constant:
            n += 1
            once[i] = f"${n}"
    marks = []
    for r in range(rows):
        k, row = r * width, []
        for i, is_constant in enumerate(shape):
            if not is_constant:
                k += 1
            row.append(once[i] if is_constant else f"${k}")
        marks.append("(" + ", ".join(row) + ")")
    return marks
