"""Decode JSON bodies for the HTTP apps: the contract's codec, refusals as HTTP errors.

The parsing rules (strict JSON, bounded depth and integers) and the field
paths of a refusal are the codec's (`core_client.contract.codec`), written
once; this module only turns a malformed body into `InvalidJSONError` (400)
and a body of the wrong shape into `InvalidBodyError` (422) naming the field.
"""

from __future__ import annotations

from typing import Any, TypeVar, overload

from core_client.contract import codec
from core_client.contract.codec import MAX_DEPTH, MIN_INT
from core_client.contract.scalars import MAX_INT
from core_client.errors import MalformedJSONError, RecordError
from core_client.web.errors import InvalidBodyError, InvalidJSONError

__all__ = ["MAX_DEPTH", "MAX_INT", "MIN_INT", "convert", "decode_json"]

T = TypeVar("T")


@overload
def decode_json(body: bytes, into: None = None, *, max_depth: int = MAX_DEPTH) -> Any: ...
@overload
def decode_json(body: bytes, into: type[T], *, max_depth: int = MAX_DEPTH) -> T: ...
def decode_json(body: bytes, into: type[T] | None = None, *, max_depth: int = MAX_DEPTH) -> Any:
    """Return the decoded JSON `body`, validated into `into` when one is given.

    Malformed or too deeply nested JSON is `InvalidJSONError` (400); JSON
    holding a value no record accepts (NaN, a lone surrogate, an integer past
    64 bits) or not fitting `into` is `InvalidBodyError` (422) naming the field.
    """
    try:
        value = codec.parse_json(body, max_depth)
    except MalformedJSONError as exc:
        raise InvalidJSONError(exc.problem) from None
    except RecordError as exc:  # JSON, but holding a value no record accepts: NaN, say
        raise InvalidBodyError(exc.problem, field=exc.field) from None
    if into is None:
        return value
    return convert(value, into)


def convert(value: object, into: type[T]) -> T:
    """Validate decoded JSON into a msgspec type; a mismatch names the field."""
    try:
        return codec.decode(value, into)
    except RecordError as exc:
        raise InvalidBodyError(exc.problem, field=exc.field) from None
