"""Writes to mutable entities with optimistic locking.

A client names the version it last saw. A stale version is refused with the
current one before anything changes; a race between two writers that both
saw the same version is caught by the ORM's `UPDATE ... WHERE version = :seen`
(StaleDataError), and refused the same way.
"""

from __future__ import annotations

import enum
import logging
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from core_client.contract import writes as bodies
from storage import changes
from storage.errors import VersionConflictError
from storage.models import utcnow

log = logging.getLogger(__name__)

# Parts of a write body that are not columns of the entity.
NOT_COLUMNS = ("version", "archived", "add_note")
TIMES = ("started_at", "ended_at")
OBJECTS = ("settings", "stats")  # an explicit null stores an empty object


@dataclass(frozen=True, slots=True)
class Write:
    """A decoded write: the column values it names, and the version it saw."""

    values: dict[str, Any]
    version: int | None = None
    archived: bool | None = None
    note: bodies.NoteInput | None = None


def read(body: object, kind: type[Mapping[str, Any]]) -> Write:
    """Decode a body with its contract declaration; return its column values."""
    decoded: Mapping[str, Any] = bodies.read(body, kind)
    values = {k: _column(k, v) for k, v in decoded.items() if k not in NOT_COLUMNS}
    note = decoded.get("add_note")
    return Write(values, decoded.get("version"), decoded.get("archived"), note)


def _column(name: str, value: Any) -> Any:
    if name in TIMES:
        return None if value is None else datetime.fromtimestamp(value, UTC)
    if name in OBJECTS and value is None:
        return {}
    if isinstance(value, enum.Enum):
        return value.value
    return value


async def create(session: AsyncSession, obj: Any, values: Mapping[str, Any]) -> Any:
    """Insert a new entity (version 1) and log it."""
    for name, value in values.items():
        setattr(obj, name, value)
    await changes.save(session, obj)
    return obj


async def update(
    session: AsyncSession, obj: Any, seen: int, values: Mapping[str, Any], archived: bool | None
) -> Any:
    """Apply `values` to `obj` if it is still at version `seen`; log the change."""
    entity = changes.ENTITIES[type(obj)]
    if obj.version != seen:
        raise VersionConflictError(entity, obj.version)
    for name, value in values.items():
        setattr(obj, name, value)
    operation = None
    if archived is not None and archived != (obj.archived_at is not None):
        obj.archived_at = utcnow() if archived else None
        operation = "archive" if archived else "restore"
    key = obj.id  # read now: a failed flush expires the object
    try:
        await changes.save(session, obj, operation)
    except StaleDataError:
        current = await _current_version(session, type(obj), key)
        raise VersionConflictError(entity, current) from None
    return obj


async def _current_version(session: AsyncSession, model: Any, key: Any) -> int:
    # The session is failed after a stale UPDATE; ask on a fresh one.
    async with AsyncSession(session.bind) as fresh:
        version = await fresh.scalar(select(model.version).where(model.id == key))
    return int(version or 0)
