"""The constrained scalar types every contract record is built from.

Text never holds a NUL byte (PostgreSQL refuses it) or a lone surrogate
(it cannot be encoded as UTF-8), so what one edge accepts every later edge
can store and serve. Numbers are finite and bounded. Free-form JSON fields
(a roll's `raw`, a character's `source`, credentials) are checked by
`check_json`: plain JSON, bounded in size and depth, under the same rules.
"""

from __future__ import annotations

import math
from typing import Annotated, Any

import msgspec

from core_client.errors import RecordError

MAX_ID = 200
MAX_DISCORD_ID = 32
MAX_NAME = 200
MAX_TEXT = 2000  # a roll's formula or label
MAX_LONG_TEXT = 4000  # a chat line or a session note
MAX_CONTENT = 32_000  # one AI turn
MAX_JSON_BYTES = 256 * 1024  # one roll's raw payload, or a set of credentials
# One character sheet as its VTT exported it: twice that (the source and the
# VTT's own column) still fits Core's default query body limit of 256 KiB.
MAX_SHEET_BYTES = 120_000
MAX_JSON_DEPTH = 64
MAX_INT = 2**63 - 1  # what JSON stores in Core (BIGINT, JSONB) and msgspec encodes
MAX_TOTAL = 10**15
MAX_DIE_VALUE = 10**9
MAX_SIDES = 1_000_000
MAX_COUNT = 10**9
MAX_UNIX = 10**11

_CLEAN = r"[^\x00\ud800-\udfff]"
# At least one visible character, and nothing PostgreSQL or UTF-8 refuses.
PRESENT = rf"^{_CLEAN}*[^\s\x00\ud800-\udfff]{_CLEAN}*$"


def _text(limit: int) -> msgspec.Meta:
    return msgspec.Meta(min_length=1, max_length=limit, pattern=PRESENT)


Id = Annotated[str, _text(MAX_ID)]
DiscordId = Annotated[str, _text(MAX_DISCORD_ID)]
Name = Annotated[str, _text(MAX_NAME)]
Text = Annotated[str, _text(MAX_TEXT)]
LongText = Annotated[str, _text(MAX_LONG_TEXT)]
Content = Annotated[str, _text(MAX_CONTENT)]
Model = Annotated[str, _text(100)]
Count = Annotated[int, msgspec.Meta(ge=0, le=MAX_COUNT)]
UnixTime = Annotated[float, msgspec.Meta(ge=0, lt=MAX_UNIX)]
Total = (
    Annotated[int, msgspec.Meta(ge=-MAX_TOTAL, le=MAX_TOTAL)]
    | Annotated[float, msgspec.Meta(ge=-MAX_TOTAL, le=MAX_TOTAL)]
)
DieValue = Annotated[int, msgspec.Meta(ge=-MAX_DIE_VALUE, le=MAX_DIE_VALUE)]
# A die size, or "F" for a Fate die (typed `str` so converters need no Literal).
Sides = (
    Annotated[int, msgspec.Meta(ge=0, le=MAX_SIDES)] | Annotated[str, msgspec.Meta(pattern="^F$")]
)


def check_json(value: Any, field: str, limit: int = MAX_JSON_BYTES) -> None:
    """Raise RecordError unless `value` is plain, bounded JSON that Core can store."""
    if value is None:  # most records' free-form field: nothing to walk or measure
        return
    _walk(value, field, 0)
    size = len(msgspec.json.encode(value))
    if size > limit:
        raise RecordError(field, f"is {size} bytes of JSON; at most {limit} are allowed")


def check_object(value: Any, field: str, limit: int = MAX_JSON_BYTES) -> None:
    """Like `check_json`, for a field that must be a JSON object."""
    if not isinstance(value, dict):
        raise RecordError(field, "must be a JSON object")
    check_json(value, field, limit)


def _walk(value: Any, where: str, depth: int) -> None:
    if depth > MAX_JSON_DEPTH:
        raise RecordError(where, f"nests more than {MAX_JSON_DEPTH} levels")
    if value is None or isinstance(value, bool):
        return
    if isinstance(value, str):
        _clean(value, where)
    elif isinstance(value, int):
        if abs(value) > MAX_INT:
            raise RecordError(where, "is an integer out of range")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise RecordError(where, "must be a finite number")
    elif isinstance(value, list | tuple):
        for i, item in enumerate(value):
            _walk(item, f"{where}[{i}]", depth + 1)
    elif isinstance(value, dict):
        for key, item in value.items():
            if not isinstance(key, str):
                raise RecordError(where, "must have string keys")
            _clean(key, where)
            _walk(item, f"{where}.{key}", depth + 1)
    else:
        raise RecordError(where, "must be plain JSON")


def _clean(text: str, where: str) -> None:
    if "\x00" in text:
        raise RecordError(where, "must not contain a NUL character")
    try:
        text.encode()
    except UnicodeEncodeError:
        raise RecordError(where, "must not contain a lone surrogate") from None
