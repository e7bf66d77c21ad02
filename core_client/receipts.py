"""Core's receipt for a webhook delivery: what it stored, and what it refused.

Core validates each event of a delivery on its own: the valid ones are stored,
each refused one is named by its index in the delivery, its id, the field and
the reason, so the sender can dead-letter exactly that event and go on. Core
writes these records (`storage/ingest.py`) and the SDK reads them back, both
through this one declaration.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TypedDict

from core_client.errors import RecordError

MAX_TEXT = 1000  # a reason is for a person to read; bound what a receipt carries


class RefusedEventDict(TypedDict):
    index: int
    id: str | None
    field: str
    reason: str


class ReceiptDict(TypedDict):
    accepted: int
    duplicates: int
    refused: list[RefusedEventDict]


@dataclass(frozen=True, slots=True)
class RefusedEvent:
    """One event of a delivery Core refused for good, and why."""

    index: int
    event_id: str | None
    field: str
    reason: str

    def to_dict(self) -> RefusedEventDict:
        """Return the JSON form Core answers with."""
        return {
            "index": self.index,
            "id": self.event_id,
            "field": self.field,
            "reason": self.reason,
        }

    @classmethod
    def from_dict(cls, obj: object, where: str = "refused") -> RefusedEvent:
        """Validate one refusal as Core sent it."""
        if not isinstance(obj, Mapping):
            raise RecordError(where, "must be a JSON object")
        index, event_id = obj.get("index"), obj.get("id")
        if isinstance(index, bool) or not isinstance(index, int) or index < 0:
            raise RecordError(f"{where}.index", "must be a non-negative integer")
        if event_id is not None and not isinstance(event_id, str):
            raise RecordError(f"{where}.id", "must be a string or null")
        return cls(index, event_id, _text(obj, "field", where), _text(obj, "reason", where))

    def describe(self) -> str:
        """Return the reason in one line: the field, then what is wrong with it."""
        return f"{self.field}: {self.reason}"


@dataclass(frozen=True, slots=True)
class DeliveryReceipt:
    """What a delivery changed at Core."""

    accepted: int
    duplicates: int
    refused: tuple[RefusedEvent, ...] = ()

    def to_dict(self) -> ReceiptDict:
        """Return the JSON body Core answers with."""
        return {
            "accepted": self.accepted,
            "duplicates": self.duplicates,
            "refused": [r.to_dict() for r in self.refused],
        }

    @classmethod
    def from_dict(cls, obj: object) -> DeliveryReceipt:
        """Validate Core's answer to a delivery."""
        if not isinstance(obj, Mapping):
            raise RecordError("receipt", "must be a JSON object")
        counts = [obj.get("accepted"), obj.get("duplicates")]
        for name, value in zip(("accepted", "duplicates"), counts, strict=True):
            if isinstance(value, bool) or not isinstance(value, int) or value < 0:
                raise RecordError(name, "must be a non-negative integer")
        return cls(int(obj["accepted"]), int(obj["duplicates"]), refusals(obj.get("refused", [])))


def refusals(obj: object) -> tuple[RefusedEvent, ...]:
    """Validate a list of refusals (a receipt's, or a 422's that refused every event)."""
    if not isinstance(obj, list):
        raise RecordError("refused", "must be a list")
    return tuple(RefusedEvent.from_dict(r, f"refused[{i}]") for i, r in enumerate(obj))


def _text(obj: Mapping[str, object], name: str, where: str) -> str:
    value = obj.get(name)
    if not isinstance(value, str):
        raise RecordError(f"{where}.{name}", "must be a string")
    return value[:MAX_TEXT]
