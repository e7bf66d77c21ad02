"""JSON views of rows: what the query API and the change log show of an entity."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import inspect

# Never shown, never logged: encrypted or not, credentials stay in their column.
HIDDEN = frozenset({"credentials"})


def jsonable(value: Any) -> Any:
    """Return a JSON-ready form of a column value."""
    if isinstance(value, uuid.UUID):
        return str(value)
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, bytes):
        return None
    return value


def iso(moment: datetime) -> str:
    """Return ISO 8601 in UTC; SQLite hands back naive datetimes, which are UTC."""
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return moment.astimezone(UTC).isoformat()


def view(obj: Any) -> dict[str, Any]:
    """Return every visible column of a row as JSON."""
    mapper = inspect(type(obj))
    out = {
        attr.key: jsonable(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in HIDDEN
    }
    if "credentials" in {a.key for a in mapper.column_attrs}:
        out["has_credentials"] = getattr(obj, "credentials", None) is not None
    return out


def as_utc(moment: datetime) -> datetime:
    """Return a datetime read from the database as timezone-aware UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
