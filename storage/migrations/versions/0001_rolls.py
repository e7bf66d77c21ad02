"""Rolls and accepted webhook events.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _timestamps() -> list[sa.Column[object]]:
    return [
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "webhook_events",
        sa.Column("event_id", sa.String(200), primary_key=True),
        sa.Column("type", sa.String(64), nullable=False),
        sa.Column("occurred_at", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
    )
    op.create_table(
        "rolls",
        sa.Column("id", sa.Uuid(), primary_key=True),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("source_message_id", sa.String(200)),
        sa.Column("campaign_key", sa.String(200), nullable=False),
        sa.Column("game_id", sa.String(200)),
        sa.Column("actor_id", sa.String(200)),
        sa.Column("actor_name", sa.String(200)),
        sa.Column("character_name", sa.String(200)),
        sa.Column("formula", sa.String(2000), nullable=False),
        sa.Column("total", sa.Float(), nullable=False),
        sa.Column("label", sa.String(2000)),
        sa.Column("visibility", sa.String(16), nullable=False),
        sa.Column("crit", sa.Boolean(), nullable=False),
        sa.Column("fumble", sa.Boolean(), nullable=False),
        sa.Column("groups", sa.JSON(), nullable=False),
        sa.Column("raw", sa.JSON()),
        sa.Column("rolled_at", sa.DateTime(timezone=True), nullable=False),
        *_timestamps(),
    )
    op.create_index("ix_rolls_campaign_rolled", "rolls", ["campaign_key", "rolled_at"])


def downgrade() -> None:
    op.drop_index("ix_rolls_campaign_rolled", table_name="rolls")
    op.drop_table("rolls")
    op.drop_table("webhook_events")
