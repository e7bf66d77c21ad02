"""Writes to mutable entities with optimistic locking.

A client names the version it last saw. A stale version is refused with the
current one before anything changes; a race between two writers that both
saw the same version is caught by the ORM's `UPDATE ... WHERE version = :seen`
(StaleDataError), and refused the same way.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm.exc import StaleDataError

from core_client.errors import RecordError
from core_client.fields import Reader
from storage import changes
from storage.errors import VersionConflictError
from storage.models import utcnow

log = logging.getLogger(__name__)

# field name -> how to read it from the body (the column has the same name)
FieldSpec = Mapping[str, Callable[[Reader, str], Any]]


def read_fields(body: Reader, spec: FieldSpec) -> dict[str, Any]:
    """Return the fields of `spec` that the body names (explicit nulls included)."""
    return {name: read(body, name) for name, read in spec.items() if name in body}


def expected_version(body: Reader) -> int:
    """Return the version a write says it saw."""
    return body.integer("version", 1, 2**31 - 1)


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


def archived_flag(body: Reader) -> bool | None:
    """Return the optional `archived` flag of a write."""
    return body.flag("archived", False) if "archived" in body else None


def optional_time(body: Reader, name: str) -> datetime | None:
    """Return an optional Unix-seconds field as a datetime."""
    value = body.timestamp(name)
    return None if value is None else datetime.fromtimestamp(value, UTC)


def require(values: Mapping[str, Any], name: str) -> None:
    """Refuse a create that lacks a required field."""
    if values.get(name) is None:
        raise RecordError(name, "is required")
