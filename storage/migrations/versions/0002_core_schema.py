"""The full Core schema: people, campaigns, characters, sessions, AI, change log.

Also links rolls to what they belong to (all nullable: a roll naming an
unknown campaign is still stored) and seeds the built-in crit rule presets.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)
SEQ = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def _common(versioned: bool = True, archivable: bool = False) -> list[sa.Column[object]]:
    cols: list[sa.Column[object]] = [
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    ]
    if versioned:
        cols.append(sa.Column("version", sa.Integer(), nullable=False))
    if archivable:
        cols.append(sa.Column("archived_at", TS))
    return cols


def _id() -> sa.Column[object]:
    return sa.Column("id", sa.Uuid(), primary_key=True)


def _fk(name: str, target: str, table: str, nullable: bool = True) -> sa.Column[object]:
    fk = sa.ForeignKey(f"{target}.id", name=f"fk_{table}_{name}")
    return sa.Column(name, sa.Uuid(), fk, nullable=nullable)


def upgrade() -> None:
    _people()
    _campaigns()
    _play()
    _ai_and_chat()
    _rolls()
    _seed_presets()


def _people() -> None:
    op.create_table(
        "users",
        _id(),
        sa.Column("discord_id", sa.String(32), unique=True),
        sa.Column("display_name", sa.String(200)),
        *_common(archivable=True),
    )
    op.create_table(
        "vtt_accounts",
        _id(),
        _fk("user_id", "users", "vtt_accounts", nullable=False),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("platform_user_id", sa.String(200), nullable=False),
        sa.Column("credentials", sa.LargeBinary()),
        sa.Column("linked_at", TS, nullable=False),
        sa.Column("revoked_at", TS),
        *_common(),
        sa.UniqueConstraint("platform", "platform_user_id", name="uq_vtt_accounts_platform_user"),
    )
    op.create_index("ix_vtt_accounts_user_id", "vtt_accounts", ["user_id"])


def _campaigns() -> None:
    op.create_table(
        "campaigns",
        _id(),
        sa.Column("external_key", sa.String(200), unique=True),
        sa.Column("guild_id", sa.String(32)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("settings", sa.JSON(), nullable=False),
        _fk("gm_user_id", "users", "campaigns"),
        *_common(archivable=True),
    )
    op.create_index("ix_campaigns_guild_id", "campaigns", ["guild_id"])
    op.create_table(
        "game_links",
        _id(),
        _fk("campaign_id", "campaigns", "game_links", nullable=False),
        sa.Column("discord_channel_id", sa.String(32)),
        sa.Column("platform", sa.String(32)),
        sa.Column("vtt_game_id", sa.String(200)),
        sa.Column("sync_chat", sa.Boolean(), nullable=False),
        sa.Column("sync_rolls", sa.Boolean(), nullable=False),
        *_common(archivable=True),
    )
    op.create_index("ix_game_links_campaign_id", "game_links", ["campaign_id"])
    op.create_index("ix_game_links_platform_game", "game_links", ["platform", "vtt_game_id"])
    op.create_table(
        "characters",
        _id(),
        _fk("campaign_id", "campaigns", "characters"),
        _fk("owner_user_id", "users", "characters"),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("source_platform", sa.String(32), nullable=False),
        sa.Column("source_id", sa.String(200)),
        sa.Column("source_json", sa.JSON()),
        sa.Column("roll20_json", sa.JSON()),
        sa.Column("foundry_json", sa.JSON()),
        sa.Column("owlbear_json", sa.JSON()),
        sa.Column("stats", sa.JSON(), nullable=False),
        *_common(archivable=True),
        sa.UniqueConstraint("source_platform", "source_id", name="uq_characters_source"),
    )
    op.create_index("ix_characters_campaign_id", "characters", ["campaign_id"])
    op.create_table(
        "crit_rules",
        _id(),
        _fk("campaign_id", "campaigns", "crit_rules"),
        sa.Column("preset_key", sa.String(64)),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("dice", sa.JSON(), nullable=False),
        sa.Column("reads", sa.String(16), nullable=False),
        sa.Column("comparison", sa.String(4), nullable=False),
        sa.Column("threshold", sa.Integer(), nullable=False),
        sa.Column("crit_type", sa.String(64), nullable=False),
        sa.Column("severity", sa.Integer(), nullable=False),
        sa.Column("enabled", sa.Boolean(), nullable=False),
        *_common(archivable=True),
        sa.UniqueConstraint("campaign_id", "preset_key", name="uq_crit_rules_campaign_preset"),
    )
    op.create_index("ix_crit_rules_campaign_id", "crit_rules", ["campaign_id"])


def _play() -> None:
    op.create_table(
        "game_sessions",
        _id(),
        sa.Column("external_key", sa.String(200), unique=True),
        _fk("campaign_id", "campaigns", "game_sessions"),
        sa.Column("campaign_key", sa.String(200)),
        sa.Column("title", sa.String(200)),
        sa.Column("started_at", TS, nullable=False),
        sa.Column("ended_at", TS),
        sa.Column("participants", sa.JSON(), nullable=False),
        sa.Column("notes", sa.JSON(), nullable=False),
        *_common(archivable=True),
    )
    op.create_index(
        "ix_game_sessions_campaign_started", "game_sessions", ["campaign_id", "started_at"]
    )
    op.create_table(
        "change_log",
        sa.Column("seq", SEQ, primary_key=True, autoincrement=True),
        sa.Column("entity", sa.String(32), nullable=False),
        sa.Column("entity_id", sa.Uuid(), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("operation", sa.String(16), nullable=False),
        sa.Column("diff", sa.JSON(), nullable=False),
        _fk("campaign_id", "campaigns", "change_log"),
        *_common(versioned=False),
    )
    op.create_index("ix_change_log_campaign_seq", "change_log", ["campaign_id", "seq"])


def _ai_and_chat() -> None:
    op.create_table(
        "ai_conversations",
        _id(),
        sa.Column("external_key", sa.String(200), nullable=False, unique=True),
        _fk("user_id", "users", "ai_conversations"),
        _fk("campaign_id", "campaigns", "ai_conversations"),
        sa.Column("campaign_key", sa.String(200)),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("messages", sa.JSON(), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        *_common(),
    )
    op.create_index("ix_ai_conversations_campaign_id", "ai_conversations", ["campaign_id"])
    op.create_table(
        "ai_usage",
        _id(),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        _fk("conversation_id", "ai_conversations", "ai_usage"),
        _fk("user_id", "users", "ai_usage"),
        _fk("campaign_id", "campaigns", "ai_usage"),
        sa.Column("campaign_key", sa.String(200)),
        sa.Column("provider", sa.String(32), nullable=False),
        sa.Column("model", sa.String(100), nullable=False),
        sa.Column("prompt_tokens", sa.Integer(), nullable=False),
        sa.Column("completion_tokens", sa.Integer(), nullable=False),
        *_common(versioned=False),
    )
    op.create_index("ix_ai_usage_campaign_created", "ai_usage", ["campaign_id", "created_at"])
    op.create_table(
        "chat_messages",
        _id(),
        sa.Column("idempotency_key", sa.String(200), nullable=False, unique=True),
        sa.Column("campaign_key", sa.String(200), nullable=False),
        _fk("campaign_id", "campaigns", "chat_messages"),
        sa.Column("platform", sa.String(32), nullable=False),
        sa.Column("channel_id", sa.String(200)),
        sa.Column("author_id", sa.String(200)),
        sa.Column("author_name", sa.String(200)),
        sa.Column("text", sa.String(4000), nullable=False),
        sa.Column("sent_at", TS, nullable=False),
        *_common(versioned=False),
    )
    op.create_index("ix_chat_messages_campaign_sent", "chat_messages", ["campaign_id", "sent_at"])


def _rolls() -> None:
    links = [
        ("campaign_id", "campaigns"),
        ("session_id", "game_sessions"),
        ("user_id", "users"),
        ("character_id", "characters"),
    ]
    with op.batch_alter_table("rolls") as batch:
        for column, target in links:
            batch.add_column(sa.Column(column, sa.Uuid()))
            batch.create_foreign_key(f"fk_rolls_{column}", target, [column], ["id"])
        batch.add_column(sa.Column("crit_type", sa.String(64)))
    op.create_index("ix_rolls_campaign_id_rolled", "rolls", ["campaign_id", "rolled_at"])
    op.create_index("ix_rolls_user_rolled", "rolls", ["user_id", "rolled_at"])
    op.create_index("ix_rolls_character_rolled", "rolls", ["character_id", "rolled_at"])
    op.create_index("ix_rolls_session", "rolls", ["session_id"])
    op.create_index("ix_rolls_rolled", "rolls", ["rolled_at"])


# Presets are data: a campaign switches them with its own crit_rules row.
PRESETS = [
    ("nat20", "Natural 20", [20], "highest", "eq", 20, "crit", 1, True),
    ("nat1", "Natural 1", [20], "lowest", "eq", 1, "fumble", 1, True),
    ("crit-range-19", "Improved critical (19-20)", [20], "highest", "ge", 19, "crit", 1, False),
    ("d100-doubles-fumble", "Percentile 96-100 fumble", [100], "total", "ge", 96, "fumble", 2, False),
    ("any-max", "Any die shows its maximum", [4, 6, 8, 10, 12], "any", "max", 0, "max", 1, False),
]


def _seed_presets() -> None:
    kinds: list[tuple[str, Any]] = [
                ("id", sa.Uuid()),
                ("preset_key", sa.String()),
                ("name", sa.String()),
                ("dice", sa.JSON()),
                ("reads", sa.String()),
                ("comparison", sa.String()),
                ("threshold", sa.Integer()),
                ("crit_type", sa.String()),
                ("severity", sa.Integer()),
                ("enabled", sa.Boolean()),
                ("version", sa.Integer()),
                ("created_at", TS),
                ("updated_at", TS),
    ]
    table = sa.table("crit_rules", *(sa.column(name, kind) for name, kind in kinds))
    now = datetime.now(UTC)
    fields = ("preset_key", "name", "dice", "reads", "comparison", "threshold")
    rows = [
        {
            "id": uuid.uuid4(),
            **dict(zip(fields, p[:6], strict=True)),
            "crit_type": p[6],
            "severity": p[7],
            "enabled": p[8],
            "version": 1,
            "created_at": now,
            "updated_at": now,
        }
        for p in PRESETS
    ]
    op.bulk_insert(table, rows)


def downgrade() -> None:
    for index in ["ix_rolls_rolled", "ix_rolls_session", "ix_rolls_character_rolled"]:
        op.drop_index(index, table_name="rolls")
    op.drop_index("ix_rolls_user_rolled", table_name="rolls")
    op.drop_index("ix_rolls_campaign_id_rolled", table_name="rolls")
    with op.batch_alter_table("rolls") as batch:
        for column in ["campaign_id", "session_id", "user_id", "character_id"]:
            batch.drop_constraint(f"fk_rolls_{column}", type_="foreignkey")
            batch.drop_column(column)
        batch.drop_column("crit_type")
    for table in [
        "chat_messages",
        "ai_usage",
        "ai_conversations",
        "change_log",
        "game_sessions",
        "crit_rules",
        "characters",
        "game_links",
        "campaigns",
        "vtt_accounts",
        "users",
    ]:
        op.drop_table(table)
