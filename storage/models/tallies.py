"""Running tallies of the rolls, so statistics never read the rolls themselves.

One row per bucket, the (campaign, user, character) a roll was stored under,
and one row per bucket and die size in `roll_faces`. Both are kept up
to date by `storage.tallies` in the transaction that inserts the rolls, so
they are exactly as durable as the rolls are. `bucket` is the three ids as
one text key: a primary key cannot hold NULLs, and most rolls have some.
"""

from __future__ import annotations

import uuid

from sqlalchemy import BigInteger, Column, Float, Index, Integer, String, Table, Uuid
from sqlalchemy.orm import Mapped, mapped_column

from storage.models.base import Base

BUCKET_LENGTH = 120
FACE_COLUMNS = 20  # faces are counted for dice of up to 20 sides


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
    """How often each face of one die size came up in a bucket.

    One row per bucket and die size up to d20, a column per face; the kept
    dice showing 1 and showing the top face (natural 1s and 20s on a d20)
    are counted apart, since dropped dice are no naturals.
    """

    __tablename__ = "roll_faces"
    __table_args__ = (
        Index("ix_roll_faces_campaign", "campaign_id", "sides"),
        Index("ix_roll_faces_user", "user_id", "sides"),
        Index("ix_roll_faces_character", "character_id", "sides"),
        Index("ix_roll_faces_sides", "sides"),
    )

    bucket: Mapped[str] = mapped_column(String(BUCKET_LENGTH), primary_key=True)
    sides: Mapped[int] = mapped_column(Integer, primary_key=True)
    campaign_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    user_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    character_id: Mapped[uuid.UUID | None] = mapped_column(Uuid)
    kept_one: Mapped[int] = mapped_column(BigInteger)
    kept_top: Mapped[int] = mapped_column(BigInteger)


def _face_columns() -> None:
    """Declare face_1 ... face_20 in a loop, as the migration creates them (Core only)."""
    table = RollFace.__table__
    assert isinstance(table, Table)
    for face in range(1, FACE_COLUMNS + 1):
        table.append_column(Column(f"face_{face}", BigInteger, nullable=False))


_face_columns()
