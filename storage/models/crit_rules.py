"""Crit rules as data: built-in presets (no campaign) and per-campaign rules.

A preset row has `campaign_id` NULL and a `preset_key`; a campaign switches a
preset on or off with its own row naming the same `preset_key`, whose
`enabled` overrides the preset's default.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Integer, String, UniqueConstraint, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Archivable, Base, Timestamped, Versioned, new_id


class CritRule(Timestamped, Versioned, Archivable, Base):
    """One rule: on which dice, reading what, under which condition, meaning what."""

    __tablename__ = "crit_rules"
    __table_args__ = (
        UniqueConstraint("campaign_id", "preset_key", name="uq_crit_rules_campaign_preset"),
    )

    id: Mapped[uuid.UUID] = mapped_column(Uuid, primary_key=True, default=new_id)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("campaigns.id", name="fk_crit_rules_campaign_id"), index=True
    )
    preset_key: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(200))
    dice: Mapped[list[Any]] = mapped_column(JSON)
    reads: Mapped[str] = mapped_column(String(16))
    comparison: Mapped[str] = mapped_column(String(4))
    threshold: Mapped[int] = mapped_column(Integer)
    crit_type: Mapped[str] = mapped_column(String(64))
    severity: Mapped[int] = mapped_column(Integer, default=1)
    enabled: Mapped[bool] = mapped_column(Boolean, default=True)
