"""Characters, kept as received and as pushed to each VTT."""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, ForeignKey, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Archivable, Base, Timestamped, Versioned, new_id


class Character(Timestamped, Versioned, Archivable, Base):
    """A character: the source JSON as received, one JSON per VTT format, stats, summary."""

    __tablename__ = "characters"
    __table_args__ = (
        UniqueConstraint("source_platform", "source_id", name="uq_characters_source"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("campaigns.id", name="fk_characters_campaign_id"), index=True
    )
    owner_user_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("users.id", name="fk_characters_owner_user_id")
    )
    name: Mapped[str] = mapped_column(String(200))
    source_platform: Mapped[str] = mapped_column(String(32))
    source_id: Mapped[str | None] = mapped_column(String(200))
    source_json: Mapped[Any | None] = mapped_column(JSON)
    roll20_json: Mapped[Any | None] = mapped_column(JSON)
    foundry_json: Mapped[Any | None] = mapped_column(JSON)
    owlbear_json: Mapped[Any | None] = mapped_column(JSON)
    stats: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # Derived by Core from the source JSON on every write (`storage.summaries`).
    summary: Mapped[dict[str, Any] | None] = mapped_column(JSON)
