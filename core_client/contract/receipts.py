"""Core's receipt for a webhook delivery: what it stored, and what it refused.

Core validates each event of a delivery on its own: the valid ones are stored,
each refused one is named by its index in the delivery, its id, the field and
the reason, so the sender can dead-letter exactly that event and go on. Core
writes these records (`storage/ingest.py`) and the SDK reads them back
(`CoreClient.deliver`), both through this one declaration.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from core_client.contract.scalars import MAX_ID, Count

MAX_REASON = 1000  # a reason is for a person to read; bound what a receipt carries
MAX_REFUSED = 500  # at most one per event of a delivery


class RefusedEvent(msgspec.Struct, frozen=True):
    """One event of a delivery Core refused for good, and why."""

    index: Count
    event_id: Annotated[str, msgspec.Meta(max_length=MAX_ID)] | None = msgspec.field(name="id")
    field: Annotated[str, msgspec.Meta(max_length=MAX_REASON)]
    reason: Annotated[str, msgspec.Meta(max_length=MAX_REASON)]

    def describe(self) -> str:
        """Return the reason in one line: the field, then what is wrong with it."""
        return f"{self.field}: {self.reason}"


def refused_event(index: int, event_id: str | None, field: str, reason: str) -> RefusedEvent:
    """Return a refusal with its texts cut to what a receipt may carry."""
    return RefusedEvent(index, event_id, field[:MAX_REASON], reason[:MAX_REASON])


class DeliveryReceipt(msgspec.Struct, frozen=True):
    """What a delivery changed at Core."""

    accepted: Count
    duplicates: Count
    refused: Annotated[tuple[RefusedEvent, ...], msgspec.Meta(max_length=MAX_REFUSED)] = ()


class RefusedList(msgspec.Struct, frozen=True):
    """The `refused` list a 422 carries when Core refused every event of a delivery."""

    refused: Annotated[tuple[RefusedEvent, ...], msgspec.Meta(max_length=MAX_REFUSED)] = ()


class RefusedBody(msgspec.Struct, frozen=True):
    """The body of that 422: the one error shape, read for its `refused` list alone."""

    error: RefusedList
