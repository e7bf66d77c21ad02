"""The filters roll history and roll statistics share, read from a query string."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import ColumnElement
from starlette.requests import Request

from storage.auth import Principal
from storage.models import Roll
from storage.routes.responses import invalid_parameter, query_uuid


@dataclass(frozen=True, slots=True)
class RollFilter:
    """Which rolls a query is about."""

    campaign_id: uuid.UUID | None = None
    user_id: uuid.UUID | None = None
    character_id: uuid.UUID | None = None
    session_id: uuid.UUID | None = None
    actor_id: str | None = None
    since: datetime | None = None
    until: datetime | None = None

    @classmethod
    def from_request(cls, request: Request) -> RollFilter:
        """Read the filter from `campaign_id`, `user_id`, ..., `since`, `until`."""
        params = request.query_params
        return cls(
            campaign_id=query_uuid(request, "campaign_id"),
            user_id=query_uuid(request, "user_id"),
            character_id=query_uuid(request, "character_id"),
            session_id=query_uuid(request, "session_id"),
            actor_id=params.get("actor_id") or None,
            since=parse_time(params.get("since"), "since"),
            until=parse_time(params.get("until"), "until"),
        )

    def conditions(self, principal: Principal) -> list[ColumnElement[bool]]:
        """Return the WHERE clauses, limited to what the caller may see."""
        out: list[ColumnElement[bool]] = [principal.where(Roll.campaign_id)]
        pairs: list[tuple[Any, Any]] = [
            (Roll.campaign_id, self.campaign_id),
            (Roll.user_id, self.user_id),
            (Roll.character_id, self.character_id),
            (Roll.session_id, self.session_id),
            (Roll.actor_id, self.actor_id),
        ]
        out += [column == value for column, value in pairs if value is not None]
        if self.since is not None:
            out.append(Roll.rolled_at >= self.since)
        if self.until is not None:
            out.append(Roll.rolled_at < self.until)
        return out


def parse_time(raw: str | None, name: str) -> datetime | None:
    """Return ISO 8601 or Unix seconds as an aware UTC datetime."""
    if raw is None or raw == "":
        return None
    try:
        if raw.replace(".", "", 1).isdigit():
            return datetime.fromtimestamp(float(raw), UTC)
        return to_utc(datetime.fromisoformat(raw))
    except (ValueError, OverflowError):
        raise invalid_parameter(name, "must be ISO 8601 or Unix seconds") from None


def to_utc(moment: datetime) -> datetime:
    """Return a moment in UTC (naive means UTC); OverflowError when UTC cannot hold it.

    `0001-01-01T00:00:00+14:00` is a valid ISO 8601 time whose UTC falls in
    year 0, which no datetime holds.
    """
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)
