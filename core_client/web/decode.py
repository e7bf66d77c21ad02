"""Decode JSON bytes strictly and boundedly, with no web framework involved.

`msgspec.json.decode` already refuses NaN/Infinity, invalid UTF-8 and lone
surrogate escapes. On top of it we bound the nesting depth and the size of
integers, because both crash or slow code further in (Python's recursion
limit, PostgreSQL's bigint, `int(str)`'s 4,300-digit guard): a body past
either bound is refused here, at the first edge, as `InvalidJSONError`.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar, overload

import msgspec

from core_client.web.errors import InvalidBodyError, InvalidJSONError

log = logging.getLogger(__name__)

T = TypeVar("T")

MAX_DEPTH = 32
# No field of ours holds more than a signed 64-bit integer (Discord ids included).
MIN_INT, MAX_INT = -(2**63), 2**63 - 1


@overload
def decode_json(body: bytes, into: None = None, *, max_depth: int = MAX_DEPTH) -> Any: ...
@overload
def decode_json(body: bytes, into: type[T], *, max_depth: int = MAX_DEPTH) -> T: ...
def decode_json(body: bytes, into: type[T] | None = None, *, max_depth: int = MAX_DEPTH) -> Any:
    """Return the decoded JSON `body`, validated into `into` when one is given.

    Malformed or unbounded JSON is `InvalidJSONError` (400); JSON that does
    not fit `into` is `InvalidBodyError` (422) naming the field's path.
    """
    if not body.strip():
        raise InvalidJSONError("the body is empty; send a JSON value")
    try:
        value = msgspec.json.decode(body)
    except RecursionError:
        raise InvalidJSONError(f"the body is nested deeper than {max_depth} levels") from None
    except msgspec.DecodeError as exc:  # ValidationError here: an integer beyond any type
        raise InvalidJSONError(f"the body is not valid JSON ({exc})") from None
    check_bounds(value, max_depth)
    if into is None:
        return value
    return convert(value, into)


def check_bounds(value: object, max_depth: int = MAX_DEPTH) -> None:
    """Refuse a decoded value nested deeper than `max_depth` or with an over-64-bit integer.

    It walks level by level over containers only: this runs on every body,
    so it avoids a Python frame or a tuple per value.
    """
    level: list[Any] = [value]
    depth = 0
    while level:
        depth += 1
        deeper: list[Any] = []
        for item in level:
            kind = type(item)
            if kind is int and not MIN_INT <= item <= MAX_INT:
                raise InvalidJSONError("the body holds an integer outside the 64-bit range")
            if kind is dict or kind is list:
                if depth > max_depth:
                    raise InvalidJSONError(f"the body is nested deeper than {max_depth} levels")
                deeper.extend(item.values() if kind is dict else item)
        level = deeper


def convert(value: object, into: type[T]) -> T:
    """Validate decoded JSON into a msgspec type; a mismatch names the field."""
    try:
        return msgspec.convert(value, into)
    except msgspec.ValidationError as exc:
        field, problem = field_of(exc)
        raise InvalidBodyError(problem, field=field) from None


def field_of(exc: msgspec.ValidationError) -> tuple[str, str]:
    """Split msgspec's "problem - at `$.a[0]`" into (`a[0]`, problem).

    A missing or unknown field is reported at its parent's path with the name
    in backticks; we name the field itself, which is what a caller fixes.
    """
    text = str(exc)
    problem, sep, path = text.rpartition(" - at `")
    if not sep:
        problem, path = text, "$`"
    path = path.removesuffix("`").removeprefix("$").removeprefix(".")
    for prefix in ("Object missing required field `", "Object contains unknown field `"):
        if problem.startswith(prefix):
            name = problem.removeprefix(prefix).removesuffix("`")
            path = f"{path}.{name}" if path else name
            problem = "is required" if "missing" in prefix else "is not a known field"
    return path or "body", problem
