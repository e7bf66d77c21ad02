"""Rolls, and the accepted webhook event ids that make replays harmless."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, DateTime, Float, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped


class WebhookEvent(Timestamped, Base):
    """Every event id Core has accepted; the key that makes replays harmless."""

    __tablename__ = "webhook_events"

    event_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    occurred_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))


class Roll(Timestamped, Base):
    """A roll in the standard record's shape, stored once per idempotency key.

    `campaign_key` keeps the free-form key the reporter sent; the foreign keys
    are filled when Core can resolve them and stay NULL otherwise, so no roll
    is ever refused for naming something Core does not know yet.
    """

    __tablename__ = "rolls"
    __table_args__ = (
        Index("ix_rolls_campaign_rolled", "campaign_key", "rolled_at"),
        Index("ix_rolls_campaign_id_rolled", "campaign_id", "rolled_at"),
        Index("ix_rolls_user_rolled", "user_id", "rolled_at"),
        Index("ix_rolls_character_rolled", "character_id", "rolled_at"),
        Index("ix_rolls_session", "session_id"),
        Index("ix_rolls_rolled", "rolled_at"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=uuid.uuid4)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    platform: Mapped[str] = mapped_column(String(32))
    source_message_id: Mapped[str | None] = mapped_column(String(200))
    campaign_key: Mapped[str] = mapped_column(String(200))
    game_id: Mapped[str | None] = mapped_column(String(200))
    actor_id: Mapped[str | None] = mapped_column(String(200))
    actor_name: Mapped[str | None] = mapped_column(String(200))
    character_name: Mapped[str | None] = mapped_column(String(200))
    formula: Mapped[str] = mapped_column(String(2000))
    total: Mapped[float] = mapped_column(Float)
    label: Mapped[str | None] = mapped_column(String(2000))
    visibility: Mapped[str] = mapped_column(String(16))
    crit: Mapped[bool] = mapped_column(Boolean, default=False)
    fumble: Mapped[bool] = mapped_column(Boolean, default=False)
    groups: Mapped[list[Any]] = mapped_column(JSON)
    raw: Mapped[Any | None] = mapped_column(JSON)
    rolled_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("campaigns.id", name="fk_rolls_campaign_id")
    )
    session_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("game_sessions.id", name="fk_rolls_session_id")
    )
    user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", name="fk_rolls_user_id")
    )
    character_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("characters.id", name="fk_rolls_character_id")
    )
    crit_type: Mapped[str | None] = mapped_column(String(64))
