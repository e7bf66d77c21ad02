"""A strict reader of untrusted JSON objects, naming the field it rejects.

Event payloads other than the roll record are validated through `Reader`,
so every refusal is a `RecordError` whose `field` says what to fix.
"""

from __future__ import annotations

import enum
import json
import math
from collections.abc import Mapping
from typing import Any, TypeVar

from core_client.errors import RecordError

MAX_ID = 200
MAX_NAME = 200
MAX_TEXT = 4000
# Unix seconds past this (year 5138) are no moment a report describes, and
# beyond year 9999 no database column or datetime can hold them.
MAX_UNIX_SECONDS = 10**11
MAX_JSON_BYTES = 256 * 1024  # one character sheet, generously

_E = TypeVar("_E", bound=enum.StrEnum)


class Reader:
    """Read typed, bounded fields out of one JSON object."""

    def __init__(self, data: object, where: str = "data") -> None:
        if not isinstance(data, Mapping):
            raise RecordError(where, "must be a JSON object")
        self._obj: Mapping[str, Any] = data
        self._prefix = "" if where == "data" else f"{where}."

    def _where(self, name: str) -> str:
        return self._prefix + name

    def __contains__(self, name: str) -> bool:
        return name in self._obj

    def has(self, name: str) -> bool:
        """Return whether the field is present and not null."""
        return self._obj.get(name) is not None

    def text(self, name: str, limit: int = MAX_ID) -> str:
        """Return a required non-empty string of at most `limit` characters."""
        value = self._obj.get(name)
        if not isinstance(value, str) or not value.strip():
            raise RecordError(self._where(name), "must be a non-empty string")
        if len(value) > limit:
            raise RecordError(self._where(name), f"is {len(value)} characters; at most {limit}")
        return value

    def opt_text(self, name: str, limit: int = MAX_ID) -> str | None:
        """Return an optional string (absent or null gives None)."""
        return None if self._obj.get(name) is None else self.text(name, limit)

    def integer(self, name: str, lo: int = 0, hi: int = 10**12, default: int | None = None) -> int:
        """Return an integer in [lo, hi]."""
        value = self._obj.get(name, default)
        if isinstance(value, bool) or not isinstance(value, int) or not lo <= value <= hi:
            raise RecordError(self._where(name), f"must be an integer from {lo} to {hi}")
        return value

    def flag(self, name: str, default: bool) -> bool:
        """Return a boolean, `default` when absent."""
        value = self._obj.get(name, default)
        if not isinstance(value, bool):
            raise RecordError(self._where(name), "must be true or false")
        return value

    def timestamp(self, name: str) -> float | None:
        """Return optional Unix seconds."""
        value = self._obj.get(name)
        if value is None:
            return None
        if (
            isinstance(value, bool)
            or not isinstance(value, int | float)
            or not math.isfinite(value)
        ):
            raise RecordError(self._where(name), "must be Unix seconds")
        if not 0 <= value < MAX_UNIX_SECONDS:
            raise RecordError(self._where(name), "is out of range")
        return float(value)

    def choice(self, name: str, kind: type[_E]) -> _E:
        """Return a member of a closed set of strings."""
        try:
            return kind(str(self._obj.get(name)))
        except ValueError:
            allowed = ", ".join(m.value for m in kind)
            raise RecordError(self._where(name), f"must be one of {allowed}") from None

    def strings(self, name: str, max_items: int = 100) -> tuple[str, ...]:
        """Return an optional list of short strings (absent gives empty)."""
        value = self._obj.get(name, [])
        if not isinstance(value, list) or len(value) > max_items:
            raise RecordError(self._where(name), f"must be a JSON array of at most {max_items}")
        for i, item in enumerate(value):
            if not isinstance(item, str) or not 1 <= len(item) <= MAX_ID:
                raise RecordError(self._where(f"{name}[{i}]"), "must be a short non-empty string")
        return tuple(value)

    def json(self, name: str, *, obj: bool = False) -> Any:
        """Return any JSON value (an object if `obj`), bounded in size."""
        value = self._obj.get(name)
        if value is None:
            return {} if obj else None
        if obj and not isinstance(value, Mapping):
            raise RecordError(self._where(name), "must be a JSON object")
        try:
            size = len(json.dumps(value, allow_nan=False))
        except (TypeError, ValueError) as exc:
            raise RecordError(self._where(name), "must be plain JSON") from exc
        if size > MAX_JSON_BYTES:
            raise RecordError(self._where(name), f"is {size} bytes; at most {MAX_JSON_BYTES}")
        return dict(value) if obj else value

    def objects(self, name: str, max_items: int) -> list[Reader]:
        """Return a reader per object of a required JSON array."""
        value = self._obj.get(name)
        if not isinstance(value, list) or len(value) > max_items:
            raise RecordError(self._where(name), f"must be a JSON array of at most {max_items}")
        return [Reader(v, self._where(f"{name}[{i}]")) for i, v in enumerate(value)]
