"""Roll tallies: the counts roll statistics are answered from.

Creates `roll_tallies` (per campaign, user and character: rolls, crits,
fumbles, totals, dice) and `roll_faces` (per bucket and die size, a column per face),
then fills them from the rolls already stored, so statistics stay over all
rolls from the first request on. Ingest keeps them up to date afterwards
(`storage.tallies`).

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

from storage import tallies

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

BUCKET = sa.String(120)
CHUNK = 5000


def _keys() -> list[sa.Column[object]]:
    return [
        sa.Column("campaign_id", sa.Uuid()),
        sa.Column("user_id", sa.Uuid()),
        sa.Column("character_id", sa.Uuid()),
    ]


def _counter(name: str) -> sa.Column[object]:
    return sa.Column(name, sa.BigInteger(), nullable=False)


def upgrade() -> None:
    counts = op.create_table(
        "roll_tallies",
        sa.Column("bucket", BUCKET, primary_key=True),
        *_keys(),
        *[_counter(n) for n in ("rolls", "crits", "fumbles")],
        sa.Column("total_sum", sa.Float(), nullable=False),
        *[_counter(n) for n in ("dice", "dice_sum", "dice_sides")],
    )
    for name in ("campaign", "user", "character"):
        op.create_index(f"ix_roll_tallies_{name}", "roll_tallies", [f"{name}_id"])
    faces = op.create_table(
        "roll_faces",
        sa.Column("bucket", BUCKET, primary_key=True),
        sa.Column("sides", sa.Integer(), primary_key=True),
        *_keys(),
        _counter("kept_one"),
        _counter("kept_top"),
        *[_counter(f"face_{face}") for face in range(1, 21)],
    )
    for name in ("campaign", "user", "character"):
        op.create_index(f"ix_roll_faces_{name}", "roll_faces", [f"{name}_id", "sides"])
    op.create_index("ix_roll_faces_sides", "roll_faces", ["sides"])
    _backfill(counts, faces)


def _backfill(counts: sa.Table, faces: sa.Table) -> None:
    rolls = sa.table(
        "rolls",
        *[sa.column(n, sa.Uuid()) for n in ("campaign_id", "user_id", "character_id")],
        sa.column("crit", sa.Boolean()),
        sa.column("fumble", sa.Boolean()),
        sa.column("total", sa.Float()),
        sa.column("groups", sa.JSON()),
    )
    found: dict[tallies.Key, tallies.Counts] = {}
    query = sa.select(rolls).execution_options(stream_results=True, yield_per=CHUNK)
    for chunk in op.get_bind().execute(query).mappings().partitions(CHUNK):
        tallies.count(chunk, into=found)
    buckets, face_rows = tallies.rows_of(found)
    named = ((counts, tallies.TALLY_ROW, buckets), (faces, tallies.FACE_ROW, face_rows))
    for table, names, rows in named:
        for start in range(0, len(rows), CHUNK):
            op.bulk_insert(table, [dict(zip(names, r)) for r in rows[start : start + CHUNK]])


def downgrade() -> None:
    op.drop_table("roll_faces")
    op.drop_table("roll_tallies")
