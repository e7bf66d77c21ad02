"""The text of a multi-row `INSERT ... ON CONFLICT`, for both databases' bulk inserts."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy.engine import Dialect


def insert_sql(
    dialect: Dialect,
    table: str,
    columns: Sequence[str],
    rows: Sequence[str],
    conflict: Sequence[str],
    add: Sequence[str] = (),
    returning: str | None = None,
) -> str:
    """Return `INSERT INTO table (columns) VALUES rows ON CONFLICT (conflict) ...`.

    `rows` are the placeholders of each row, `(?, ?)` or `($1, $2)`. On a
    conflict the `add` columns are added to what is stored; with none the
    row is skipped. `returning` names the column to return.
    """
    quote = dialect.identifier_preparer.quote
    name = quote(table)
    if add:
        sets = ", ".join(f"{quote(c)} = {name}.{quote(c)} + excluded.{quote(c)}" for c in add)
        action = f"DO UPDATE SET {sets}"
    else:
        action = "DO NOTHING"
    names = ", ".join(quote(c) for c in columns)
    keys = ", ".join(quote(c) for c in conflict)
    sql = f"INSERT INTO {name} ({names}) VALUES {', '.join(rows)} ON CONFLICT ({keys}) {action}"
    return sql + (f" RETURNING {quote(returning)}" if returning else "")
