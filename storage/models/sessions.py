"""Game sessions: when a campaign sat down to play, who came, what was noted."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import JSON, DateTime, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Archivable, Base, Timestamped, Versioned, new_id


class GameSession(Timestamped, Versioned, Archivable, Base):
    """One sitting of a campaign; open while `ended_at` is NULL."""

    __tablename__ = "game_sessions"
    __table_args__ = (Index("ix_game_sessions_campaign_started", "campaign_id", "started_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    external_key: Mapped[str | None] = mapped_column(String(200), unique=True)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("campaigns.id", name="fk_game_sessions_campaign_id")
    )
    campaign_key: Mapped[str | None] = mapped_column(String(200))
    title: Mapped[str | None] = mapped_column(String(200))
    started_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    ended_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
    participants: Mapped[list[Any]] = mapped_column(JSON, default=list)
    notes: Mapped[list[Any]] = mapped_column(JSON, default=list)
