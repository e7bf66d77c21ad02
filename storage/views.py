"""JSON views of rows: what the query API and the change log show of an entity.

Every answer Core gives is checked against its declared shape in
`core_client.contract.answers` (`shaped`), the same declaration the SDK's
client validates what it receives with: Core cannot drift from its clients.
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any, TypeVar

from sqlalchemy import inspect

from core_client.contract import answers, codec
from core_client.errors import RecordError
from storage.errors import StorageError
from storage.models import Campaign, Character, CritRule, GameLink, GameSession, Roll

T = TypeVar("T")
# The declared answer shape of each row type the query API shows.
SHAPES: dict[type, type] = {
    Campaign: answers.CampaignDict,
    Character: answers.CharacterDict,
    CritRule: answers.CritRuleDict,
    GameLink: answers.GameLinkDict,
    GameSession: answers.SessionDict,
    Roll: answers.RollDict,
}

# Shapes holding contract Structs (a character's summary): checked, then
# turned back into plain JSON for the response.
NESTED = frozenset({answers.CharacterDict})

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


def view(obj: Any, left_out: frozenset[str] = frozenset()) -> dict[str, Any]:
    """Return every visible column of a row as JSON; `left_out` columns (not loaded) as null."""
    mapper = inspect(type(obj))
    out = {
        attr.key: None if attr.key in left_out else jsonable(getattr(obj, attr.key))
        for attr in mapper.column_attrs
        if attr.key not in HIDDEN
    }
    if "credentials" in {a.key for a in mapper.column_attrs}:
        out["has_credentials"] = getattr(obj, "credentials", None) is not None
    shape = SHAPES.get(type(obj))
    if shape is None:
        return out
    checked: dict[str, Any] = shaped(shape, out)
    return codec.to_builtins(checked) if shape in NESTED else checked


class AnswerShapeError(StorageError):
    """Core built an answer that does not match its declared shape: a bug in Core."""


def shaped(shape: type[T], data: object) -> T:
    """Return `data` checked against the answer shape the SDK validates it with."""
    try:
        return codec.decode(data, shape)
    except RecordError as exc:
        raise AnswerShapeError(f"{shape.__name__}: {exc}") from exc


def as_utc(moment: datetime) -> datetime:
    """Return a datetime read from the database as timezone-aware UTC."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment
