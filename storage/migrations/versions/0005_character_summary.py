"""A character's compact summary (`core_client.contract.summary`), stored beside its sheet.

Nullable: rows written before this revision get theirs on their next write,
and a sheet with no extractor (typed in by hand) has none.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-01
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("characters") as batch:
        batch.add_column(sa.Column("summary", sa.JSON()))


def downgrade() -> None:
    with op.batch_alter_table("characters") as batch:
        batch.drop_column("summary")
