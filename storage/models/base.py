"""The declarative base and the mixins every Core table shares."""

from __future__ import annotations

import os
import time
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import DateTime, Integer
from sqlalchemy.orm import DeclarativeBase, Mapped, declared_attr, mapped_column


def utcnow() -> datetime:
    """Return the current time, timezone-aware in UTC."""
    return datetime.now(UTC)


def new_id() -> uuid.UUID:
    """Return a fresh random primary key."""
    return uuid.uuid4()


def ordered_id() -> uuid.UUID:
    """Return a fresh primary key that sorts by creation time (a version 7 UUID, RFC 9562).

    For tables written a batch at a time (rolls): random keys put each new row
    on an index page of its own, so a commit of 100 rows rewrote about 100
    pages of the key's index; keys in time order land on the last page or two.
    48 bits of Unix milliseconds, then 74 random bits.
    """
    rand = int.from_bytes(os.urandom(10), "big")
    high = (time.time_ns() // 1_000_000) << 16 | 0x7000 | (rand >> 68)
    low = 0x8000000000000000 | (rand & 0x3FFFFFFFFFFFFFFF)
    return uuid.UUID(int=high << 64 | low)


class Base(DeclarativeBase):
    """The declarative base of every Core table."""


class Timestamped:
    """Mixin: when a row was created and last changed."""

    created_at: Mapped[datetime] = mapped_column(DateTime(timezone=True), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(
        DateTime(timezone=True), default=utcnow, onupdate=utcnow
    )


class Versioned:
    """Mixin: a version the ORM bumps on every change, for optimistic locking.

    SQLAlchemy's `version_id_col` turns each UPDATE into `... WHERE version = :seen`,
    so two writers racing on one row cannot both win.
    """

    version: Mapped[int] = mapped_column(Integer)

    @declared_attr.directive
    def __mapper_args__(cls) -> dict[str, Any]:
        return {"version_id_col": cls.version}


class Archivable:
    """Mixin: soft delete, so a user can undo it."""

    archived_at: Mapped[datetime | None] = mapped_column(DateTime(timezone=True))
