"""Campaigns and the links that tie one to Discord channels and VTT games."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Archivable, Base, Timestamped, Versioned, new_id


class Campaign(Timestamped, Versioned, Archivable, Base):
    """A campaign; `external_key` is the free-form key reports name it by."""

    __tablename__ = "campaigns"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    external_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    guild_id: Mapped[str | None] = mapped_column(String(32), index=True)
    name: Mapped[str] = mapped_column(String(200))
    settings: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    gm_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", name="fk_campaigns_gm_user_id")
    )


class GameLink(Timestamped, Versioned, Archivable, Base):
    """Campaign <-> Discord channel <-> VTT game, and what to sync between them."""

    __tablename__ = "game_links"
    __table_args__ = (Index("ix_game_links_platform_game", "platform", "vtt_game_id"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    campaign_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("campaigns.id", name="fk_game_links_campaign_id"), index=True
    )
    discord_channel_id: Mapped[str | None] = mapped_column(String(32))
    platform: Mapped[str | None] = mapped_column(String(32))
    vtt_game_id: Mapped[str | None] = mapped_column(String(200))
    sync_chat: Mapped[bool] = mapped_column(Boolean, default=True)
    sync_rolls: Mapped[bool] = mapped_column(Boolean, default=True)
