"""Roll tallies on PostgreSQL: counted by the database, in the statement that inserts the rolls.

`storage.tallies` counts a batch's inserted rolls in Python and upserts one
row per bucket and one per bucket and die size: on PostgreSQL about a fifth
of Core's CPU per event, most of it asyncpg encoding some 3,000 parameters a
batch (docs/benchmarks.md, "Core ingest"). Here the rolls' insert is the
first part of one statement whose later parts read the rows it inserted
(`RETURNING`, so a roll stored before is not counted again, exactly as
`tallies.record` is given only the inserted rows), count them as
`tallies.Counts` does from the stored `groups` JSON, and upsert the same two
tables with the same additions, in the same key order (byte order of the
bucket, then die size: `COLLATE "C"` is Python's string order), so writers
of either kind lock rows in one order and cannot deadlock. The counting
moves to the database server: its CPU is not Core's, but it is not free
(the benchmark reports it beside Core's).
"""

from __future__ import annotations

import logging
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from storage import bulk, pgbulk
from storage.models import Roll, RollFace, RollTally
from storage.models.tallies import FACE_COLUMNS
from storage.tallies import COUNTED, FACE_ADDED, MAX_FACE_SIDES

log = logging.getLogger(__name__)


def applies(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> bool:
    """Return True if the rows can be inserted and counted here (PostgreSQL, one statement)."""
    if not rows or session.get_bind().dialect.name != "postgresql":
        return False
    return len(rows) * len(rows[0]) <= bulk.MAX_PARAMETERS


async def insert_counted(session: AsyncSession, rows: Sequence[Mapping[str, Any]]) -> list[str]:
    """Insert rolls-table rows (skipping stored idempotency keys) and add them to the tallies.

    Returns the idempotency keys of the rows inserted, as `bulk.insert` does.
    """
    table = Roll.__table__
    assert isinstance(table, Table)
    conn = await bulk.connection(session)
    columns = tuple(rows[0])
    encoded = bulk.encoder(table, columns, conn.dialect)(rows)  # as bulk.insert stores them
    keys = ("idempotency_key",)
    insert, values = pgbulk.statement_of(
        conn.dialect, table, columns, encoded, keys, returning="idempotency_key"
    )
    # `insert` ends "RETURNING idempotency_key": the later parts read these columns too.
    sql = f"WITH inserted AS ({insert}, {_RETURNED}) {_COUNTING}"
    return [r[0] for r in await pgbulk.execute(conn, sql, values)]


_RETURNED = "campaign_id, user_id, character_id, crit, fumble, total, groups"

# Each die of a group whose size is a positive number (a Fate die's "F" is not),
# as `tallies.Counts.add` reads them; the CASE keeps the casts off anything else.
_DICE = """
dice AS (
  SELECT bucket, campaign_id, user_id, character_id, sides,
         coalesce((d.value ->> 'value')::int, 0) AS value,
         coalesce((d.value ->> 'kept')::boolean, true) AS kept
  FROM (
    SELECT c.bucket, c.campaign_id, c.user_id, c.character_id, g.value AS grp,
           CASE WHEN json_typeof(g.value -> 'sides') = 'number'
                THEN (g.value ->> 'sides')::int END AS sides
    FROM counted AS c
    CROSS JOIN LATERAL json_array_elements(
      CASE WHEN json_typeof(c.groups) = 'array' THEN c.groups ELSE '[]'::json END) AS g
  ) AS grouped
  CROSS JOIN LATERAL json_array_elements(
    CASE WHEN json_typeof(grp -> 'dice') = 'array' THEN grp -> 'dice' ELSE '[]'::json END) AS d
  WHERE sides > 0
)"""


def _bucket(column: str) -> str:
    """SQL for `tallies.bucket`'s part of one id: its hex, empty for none."""
    return f"coalesce(replace({column}::text, '-', ''), '')"


def _added(table: str, columns: Sequence[str]) -> str:
    return ", ".join(f"{c} = {table}.{c} + excluded.{c}" for c in columns)


_BUCKETS = f"""
counted AS (
  SELECT concat_ws('|', {_bucket("campaign_id")}, {_bucket("user_id")},
                   {_bucket("character_id")}) AS bucket, *
  FROM inserted
)"""

_TALLIES = f"""
tallied AS (
  INSERT INTO {RollTally.__tablename__}
    (bucket, campaign_id, user_id, character_id, {", ".join(COUNTED)})
  SELECT r.bucket, r.campaign_id, r.user_id, r.character_id, r.rolls, r.crits, r.fumbles,
         r.total_sum, coalesce(d.dice, 0), coalesce(d.dice_sum, 0), coalesce(d.dice_sides, 0)
  FROM (
    SELECT bucket, campaign_id, user_id, character_id, count(*) AS rolls,
           count(*) FILTER (WHERE crit) AS crits, count(*) FILTER (WHERE fumble) AS fumbles,
           sum(total) AS total_sum
    FROM counted GROUP BY bucket, campaign_id, user_id, character_id
  ) AS r
  LEFT JOIN (
    SELECT bucket, count(*) AS dice, sum(value) AS dice_sum, sum(sides) AS dice_sides
    FROM dice GROUP BY bucket
  ) AS d USING (bucket)
  ORDER BY r.bucket COLLATE "C"
  ON CONFLICT (bucket) DO UPDATE SET {_added(RollTally.__tablename__, COUNTED)}
  RETURNING bucket
)"""

_FACE_COUNTS = ", ".join(f"count(*) FILTER (WHERE value = {f})" for f in range(1, FACE_COLUMNS + 1))

_FACES = f"""
faced AS (
  INSERT INTO {RollFace.__tablename__}
    (bucket, sides, campaign_id, user_id, character_id, {", ".join(FACE_ADDED)})
  SELECT bucket, sides, campaign_id, user_id, character_id,
         count(*) FILTER (WHERE value = 1 AND kept), count(*) FILTER (WHERE value = sides AND kept),
         {_FACE_COUNTS}
  FROM dice
  WHERE value >= 1 AND value <= sides AND sides <= {MAX_FACE_SIDES}
    AND (SELECT count(*) FROM tallied) > 0  -- every bucket tallied first: see _COUNTING
  GROUP BY bucket, sides, campaign_id, user_id, character_id
  ORDER BY bucket COLLATE "C", sides
  ON CONFLICT (bucket, sides) DO UPDATE SET {_added(RollFace.__tablename__, FACE_ADDED)}
)"""

# After `WITH inserted AS (...)`: the rows counted, then the keys inserted. PostgreSQL
# runs data-modifying WITH parts in an order of its own, so the faces' upsert first
# counts every row the tallies' upsert wrote (a bucket with a face row has a tally
# row, so the count is never 0): rolls, then tallies, then faces, as `tallies.record`
# locks them, whichever way a writer counts.
_COUNTING = f", {_BUCKETS}, {_DICE}, {_TALLIES}, {_FACES} SELECT idempotency_key FROM inserted"
