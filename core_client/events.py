"""Events: what bot and bridge report to Core.

A delivery carries one or more events. Each event has its own id, which is
also its idempotency key: Core stores an event id once, however often it is
delivered, so the sender may retry freely.
"""

from __future__ import annotations

import enum
import json
import time
import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any, TypedDict

from core_client.errors import RecordError
from core_client.fields import MAX_UNIX_SECONDS

MAX_EVENTS_PER_DELIVERY = 500


class EventType(enum.StrEnum):
    """The closed set of events Core accepts."""

    ROLL_RECORDED = "roll.recorded"
    CHAT_MESSAGE = "chat.message"
    AI_USAGE = "ai.usage"
    AI_CONVERSATION = "ai.conversation"
    USER_UPSERTED = "user.upserted"
    VTT_ACCOUNT_LINKED = "vtt.account_linked"
    VTT_ACCOUNT_REVOKED = "vtt.account_revoked"
    SESSION_STARTED = "session.started"
    SESSION_ENDED = "session.ended"
    SESSION_NOTE = "session.note"
    CHARACTER_UPSERTED = "character.upserted"
    CAMPAIGN_UPSERTED = "campaign.upserted"
    GAME_LINK_UPSERTED = "game_link.upserted"


class EventDict(TypedDict):
    id: str
    type: str
    occurred_at: float
    data: Any


@dataclass(frozen=True, slots=True)
class Event:
    """One fact reported to Core."""

    type: EventType
    data: Mapping[str, Any]
    id: str = field(default_factory=lambda: f"evt_{uuid.uuid4().hex}")
    occurred_at: float = field(default_factory=time.time)

    def to_dict(self) -> EventDict:
        """Return the JSON-ready form of the event."""
        return {
            "id": self.id,
            "type": self.type.value,
            "occurred_at": self.occurred_at,
            "data": dict(self.data),
        }

    @classmethod
    def from_dict(cls, obj: object, where: str = "event") -> Event:
        """Validate untrusted JSON and build an event."""
        if not isinstance(obj, Mapping):
            raise RecordError(where, "must be a JSON object")
        event_id = obj.get("id")
        if not isinstance(event_id, str) or not 1 <= len(event_id) <= 200:
            raise RecordError(f"{where}.id", "must be a string of 1 to 200 characters")
        try:
            kind = EventType(str(obj.get("type")))
        except ValueError:
            allowed = ", ".join(t.value for t in EventType)
            raise RecordError(f"{where}.type", f"must be one of {allowed}") from None
        occurred = obj.get("occurred_at", time.time())
        if isinstance(occurred, bool) or not isinstance(occurred, int | float):
            raise RecordError(f"{where}.occurred_at", "must be Unix seconds")
        if not 0 <= occurred < MAX_UNIX_SECONDS:  # NaN compares false too
            raise RecordError(f"{where}.occurred_at", "is out of range")
        data = obj.get("data")
        if not isinstance(data, Mapping):
            raise RecordError(f"{where}.data", "must be a JSON object")
        return cls(type=kind, data=data, id=event_id, occurred_at=float(occurred))


def encode_delivery(events: Sequence[Event]) -> bytes:
    """Serialise events into one delivery body."""
    return json.dumps(
        {"events": [e.to_dict() for e in events]}, separators=(",", ":"), allow_nan=False
    ).encode()


def split_delivery(body: bytes) -> list[object]:
    """Return a delivery's events still unchecked, refusing a malformed envelope.

    What is wrong with the body as a whole refuses the delivery; what is wrong
    with one event is that event's matter (Core refuses it alone).
    """
    try:
        obj = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise RecordError("body", f"is not valid JSON ({exc})") from exc
    if not isinstance(obj, Mapping) or not isinstance(obj.get("events"), list):
        raise RecordError("body", 'must be a JSON object with an "events" array')
    events: list[object] = obj["events"]
    if not 1 <= len(events) <= MAX_EVENTS_PER_DELIVERY:
        raise RecordError("events", f"must hold 1 to {MAX_EVENTS_PER_DELIVERY} events")
    return events


def decode_delivery(body: bytes) -> list[Event]:
    """Parse a delivery body, naming the first thing wrong with it."""
    return [Event.from_dict(e, f"events[{i}]") for i, e in enumerate(split_delivery(body))]
