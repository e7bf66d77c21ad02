"""The resolve epoch: the counter behind ingest's per-process memo of what it resolved.

One row, starting at 0; writers of campaigns, game links, users, VTT
accounts, characters, sessions and crit rules bump it in their transaction
(`storage.changes.lock`), and ingest reuses what it resolved while it is
unchanged (`storage.memo`). A later migration that rewrites any of those rows
must bump it too, or running Core processes keep their memo.

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    epoch = op.create_table(
        "resolve_epoch",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=False),
        sa.Column("n", sa.BigInteger(), nullable=False),
    )
    op.bulk_insert(epoch, [{"id": 1, "n": 0}])


def downgrade() -> None:
    op.drop_table("resolve_epoch")
