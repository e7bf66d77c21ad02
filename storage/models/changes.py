"""The change log behind the delta feed.

Unlike every other table it is keyed by an integer sequence, not a UUID:
the feed's cursor needs a total order, and writers serialise on it (see
`storage.changes`) so that order is also commit order.
"""

from __future__ import annotations

import uuid
from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base, Timestamped

# SQLite only auto-increments an INTEGER PRIMARY KEY.
SEQ_TYPE = BigInteger().with_variant(Integer(), "sqlite")


class ChangeLog(Timestamped, Base):
    """One change to one mutable entity: what, which version, and the diff."""

    __tablename__ = "change_log"
    __table_args__ = (Index("ix_change_log_campaign_seq", "campaign_id", "seq"),)

    seq: Mapped[int] = mapped_column(SEQ_TYPE, primary_key=True, autoincrement=True)
    entity: Mapped[str] = mapped_column(String(32))
    entity_id: Mapped[uuid.UUID] = mapped_column(Uuid)
    version: Mapped[int] = mapped_column(Integer)
    operation: Mapped[str] = mapped_column(String(16))
    diff: Mapped[dict[str, Any]] = mapped_column(JSON)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(
        Uuid, ForeignKey("campaigns.id", name="fk_change_log_campaign_id")
    )
