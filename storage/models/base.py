"""The declarative base and the mixins every Core table shares."""

from __future__ import annotations

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
