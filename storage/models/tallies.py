"""Running tallies of the rolls, so statistics never read the rolls themselves.

One row per bucket, the (campaign, user, character) a roll was stored under,
and one row per (bucket, die size, face) in `roll_faces`. Both are kept up
to date by `storage.tallies` in the transaction that inserts the rolls, so
they are exactly as durable as the rolls are. `bucket` is the three ids as
one text key: a primary key cannot hold NULLs, and most rolls have some.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Float, Index, Integer, String, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

BUCKET_LENGTH = 120


class RollTally(Base):
    """Counts over every roll of one bucket."""

    __tablename__ = "roll_tallies"
    __table_args__ = (
        Index("ix_roll_tallies_campaign", "campaign_id"),
        Index("ix_roll_tallies_user", "user_id"),
        Index("ix_roll_tallies_character", "character_id"),
    )

    bucket: Mapped[str] = mapped_column(String(BUCKET_LENGTH), primary_key=True)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    character_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    rolls: Mapped[int] = mapped_column(BigInteger)
    crits: Mapped[int] = mapped_column(BigInteger)
    fumbles: Mapped[int] = mapped_column(BigInteger)
    total_sum: Mapped[float] = mapped_column(Float)
    dice: Mapped[int] = mapped_column(BigInteger)
    dice_sum: Mapped[int] = mapped_column(BigInteger)
    dice_sides: Mapped[int] = mapped_column(BigInteger)


class RollFace(Base):
    """How often one face of one die size came up in a bucket (all dice, and kept ones)."""

    __tablename__ = "roll_faces"
    __table_args__ = (
        # Covering: the statistics' sums read the index alone, not the table.
        Index("ix_roll_faces_campaign", "campaign_id", "sides", "face", "count", "kept"),
        Index("ix_roll_faces_user", "user_id", "sides", "face", "count", "kept"),
        Index("ix_roll_faces_character", "character_id", "sides", "face", "count", "kept"),
        Index("ix_roll_faces_sides", "sides", "face", "count", "kept"),
    )

    bucket: Mapped[str] = mapped_column(String(BUCKET_LENGTH), primary_key=True)
    sides: Mapped[int] = mapped_column(Integer, primary_key=True)
    face: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    character_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    count: Mapped[int] = mapped_column(BigInteger)
    kept: Mapped[int] = mapped_column(BigInteger)
