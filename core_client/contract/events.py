"""Events: what bot and bridge report to Core, and the delivery that carries them.

A delivery carries one or more events. Each event has its own id, which is
also its idempotency key: Core stores an event id once, however often it is
delivered, so the sender may retry freely. An event's `data` is one payload
record (see `payloads`), checked against its type's Struct by Core.
"""

from __future__ import annotations

import time
from collections.abc import Sequence
from typing import Annotated, Any, ClassVar

import msgspec

from core_client.contract import codec
from core_client.contract.enums import EventType
from core_client.contract.scalars import Id, UnixTime
from core_client.errors import RecordError
from core_client.ids import ordered_uuid

MAX_EVENTS_PER_DELIVERY = 500


def _event_id() -> str:
    return f"evt_{ordered_uuid().hex}"  # time-ordered: Core's claims index stays compact


class Event(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One fact reported to Core."""

    type: EventType
    data: dict[str, Any]
    id: Id = msgspec.field(default_factory=_event_id)
    occurred_at: UnixTime = msgspec.field(default_factory=time.time)


class Delivery(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One signed webhook body: a batch of events."""

    events: Annotated[
        tuple[Event, ...], msgspec.Meta(min_length=1, max_length=MAX_EVENTS_PER_DELIVERY)
    ]


class Record(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """The base of every payload record: it knows the event type that carries it."""

    event_type: ClassVar[EventType]

    def event(self, event_id: str | None = None) -> Event:
        """Wrap the record in an event of its type."""
        data = codec.to_builtins(self)
        if event_id is None:
            return Event(self.event_type, data)
        return Event(self.event_type, data, id=event_id)


def encode_delivery(events: Sequence[Event]) -> bytes:
    """Serialise events into one delivery body; refuse text UTF-8 cannot carry."""
    try:
        return codec.encode(Delivery(tuple(events)))
    except UnicodeEncodeError as exc:
        raise RecordError("data", "must be valid text (it holds a lone surrogate)") from exc


def split_delivery(body: bytes) -> list[object]:
    """Return a delivery's events still unchecked, refusing a malformed envelope.

    What is wrong with the body as a whole refuses the delivery; what is wrong
    with one event is that event's matter (Core refuses it alone).
    """
    obj = codec.parse_json(body)
    if not isinstance(obj, dict) or not isinstance(obj.get("events"), list):
        raise RecordError("body", 'must be a JSON object with an "events" array')
    events: list[object] = obj["events"]
    if not 1 <= len(events) <= MAX_EVENTS_PER_DELIVERY:
        raise RecordError("events", f"must hold 1 to {MAX_EVENTS_PER_DELIVERY} events")
    return events


def decode_delivery(body: bytes) -> list[Event]:
    """Parse a delivery body, naming the first thing wrong with it."""
    return [codec.decode(e, Event, f"events[{i}]") for i, e in enumerate(split_delivery(body))]
