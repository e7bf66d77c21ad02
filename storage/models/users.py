"""Users (Discord identities) and their linked VTT accounts."""

from __future__ import annotations

import uuid
from datetime import datetime

from sqlalchemy import DateTime, ForeignKey, LargeBinary, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Archivable, Base, Timestamped, Versioned, new_id


class User(Timestamped, Versioned, Archivable, Base):
    """A person, known by their Discord id where they have one."""

    __tablename__ = "users"

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    discord_id: Mapped[str | None] = mapped_column(String(32), unique=True)
    display_name: Mapped[str | None] = mapped_column(String(200))


class VttAccount(Timestamped, Versioned, Base):
    """A user's account on a VTT platform; credentials are encrypted at rest."""

    __tablename__ = "vtt_accounts"
    __table_args__ = (
        UniqueConstraint("platform", "platform_user_id", name="uq_vtt_accounts_platform_user"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    user_id: Mapped[uuid.UUID] = mapped_column(
        Uuid, ForeignKey("users.id", name="fk_vtt_accounts_user_id"), index=True
    )
    platform: Mapped[str] = mapped_column(String(32))
    platform_user_id: Mapped[str] = mapped_column(String(200))
    credentials: Mapped[bytes | None] = mapped_column(LargeBinary)
    linked_at: Mapped[datetime] = mapped_column(DateTime(timezone=True))
    revoked_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
