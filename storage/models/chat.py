"""Chat relayed between Discord and the VTTs, kept for the campaign's record."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, Index, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped, new_id


class ChatMessage(Timestamped, Base):
    """One chat message, stored once per event id."""

    __tablename__ = "chat_messages"
    __table_args__ = (Index("ix_chat_messages_campaign_sent", "campaign_id", "sent_at"),)

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    idempotency_key: Mapped[str] = mapped_column(String(200), unique=True)
    campaign_key: Mapped[str] = mapped_column(String(200))
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("campaigns.id", name="fk_chat_messages_campaign_id")
    )
    platform: Mapped[str] = mapped_column(String(32))
    channel_id: Mapped[str | None] = mapped_column(String(200))
    author_id: Mapped[str | None] = mapped_column(String(200))
    author_name: Mapped[str | None] = mapped_column(String(200))
    text: Mapped[str] = mapped_column(String(4000))
    sent_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
