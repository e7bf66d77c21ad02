"""The one way contract records are decoded and encoded.

`decode` validates untrusted JSON (bytes, or objects another reader already
parsed) against a contract type; every refusal, whatever msgspec found, is
a `RecordError` whose `field` is the path of the culprit (`groups[0].value`),
so each edge can answer 422 naming it. `to_builtins` and `encode` are the
inverse, for any record; no record has a hand-written `to_dict`.
"""

from __future__ import annotations

import json
import re
from typing import Any, TypeVar

import msgspec

from core_client.contract.scalars import MAX_INT
from core_client.errors import MalformedJSONError, RecordError

T = TypeVar("T")

MAX_DEPTH = 32
# No field of ours holds more than a signed 64-bit integer (Discord ids included).
MIN_INT = -MAX_INT - 1

_AT = re.compile(r"^(?P<problem>.*?)(?: - at `\$(?P<path>[^`]*)`)?$", re.DOTALL)
_NAMED = re.compile(r"^Object (?:contains unknown|missing required) field `(?P<name>[^`]+)`$")
# A __post_init__ check raises RecordError, which msgspec reports as "field: problem".
_OURS = re.compile(r"^(?P<name>[A-Za-z_][\w.\[\]]*): (?P<problem>.+)$", re.DOTALL)


def decode(data: object, kind: type[T], where: str = "") -> T:
    """Validate `data` (JSON bytes, or already-parsed JSON) as `kind`; raise RecordError."""
    try:
        if isinstance(data, bytes | bytearray | memoryview | str):
            return msgspec.json.decode(data, type=kind)
        return msgspec.convert(data, kind)
    except msgspec.ValidationError as exc:
        raise record_error(str(exc), where) from exc
    except msgspec.DecodeError as exc:
        raise RecordError(where or "body", f"is not valid JSON ({exc})") from exc


def parse_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """Return untrusted JSON bytes decoded strictly and boundedly.

    `msgspec.json.decode` already refuses NaN/Infinity, invalid UTF-8 and lone
    surrogate escapes; on top of it we bound the nesting depth and the size of
    integers, because both crash or slow code further in (Python's recursion
    limit, PostgreSQL's bigint, `int(str)`'s 4,300-digit guard). A body that
    is not JSON at all is `MalformedJSONError`; a JSON document holding a value
    no record accepts (NaN, a lone surrogate, a huge integer) is a
    `RecordError` naming that value's field, as any other bad value is.
    """
    if not body.strip():
        raise MalformedJSONError("the body is empty; send a JSON value")
    try:
        value = msgspec.json.decode(body)
    except RecursionError:
        raise MalformedJSONError(f"the body is nested deeper than {max_depth} levels") from None
    except msgspec.DecodeError as exc:  # ValidationError here: an integer beyond any type
        raise _located(body, max_depth) or MalformedJSONError(
            f"the body is not valid JSON ({exc})"
        ) from None
    check_bounds(value, max_depth)
    return value


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
                raise _find(value, max_depth) or MalformedJSONError("an integer is out of range")
            if kind is dict or kind is list:
                if depth > max_depth:
                    raise MalformedJSONError(f"the body is nested deeper than {max_depth} levels")
                deeper.extend(item.values() if kind is dict else item)
        level = deeper


class _Refused:
    """A value Python's lenient parser read that no record accepts, and why."""

    def __init__(self, problem: str) -> None:
        self.problem = problem


_SURROGATE = re.compile("[\ud800-\udfff]")
_DIGITS = len(str(MAX_INT))


def _lenient_int(text: str) -> int | _Refused:
    if len(text.lstrip("-")) > _DIGITS:  # before int(): it refuses 4,300 digits itself
        return _Refused("is out of range")
    return int(text)


def _located(body: bytes, max_depth: int) -> RecordError | None:
    """Name the field of the first value strict JSON refused, if the body is JSON otherwise.

    Only on the error path: Python's parser accepts NaN, Infinity and lone
    surrogates, so it can say where they are where msgspec gives a byte offset.
    """
    try:
        value = json.loads(
            body.decode("utf-8"),
            parse_constant=lambda _: _Refused("must be a finite number"),
            parse_int=_lenient_int,
        )
    except (UnicodeDecodeError, ValueError, RecursionError):
        return None  # not JSON at all: the body as a whole is refused
    return _find(value, max_depth)


def _find(value: object, max_depth: int) -> RecordError | None:
    stack: list[tuple[object, str, int]] = [(value, "", 1)]
    while stack:
        item, path, depth = stack.pop()
        problem = _problem(item)
        if problem:
            return RecordError(path or "body", problem)
        if depth > max_depth:
            continue
        if isinstance(item, dict):
            for key, child in reversed(item.items()):
                if _SURROGATE.search(key):
                    return RecordError(_join(path, "?"), "has a name that is not valid text")
                stack.append((child, _join(path, key), depth + 1))
        elif isinstance(item, list):
            stack.extend((c, f"{path}[{i}]", depth + 1) for i, c in reversed(list(enumerate(item))))
    return None


def _problem(item: object) -> str | None:
    if isinstance(item, _Refused):
        return item.problem
    if isinstance(item, float) and (item != item or item in (float("inf"), float("-inf"))):
        return "must be a finite number"
    if isinstance(item, int) and not isinstance(item, bool) and not MIN_INT <= item <= MAX_INT:
        return "is out of range"
    if isinstance(item, str) and _SURROGATE.search(item):
        return "must be valid text (it holds a lone surrogate)"
    return None


def to_builtins(obj: Any) -> Any:
    """Return a record (or anything holding records) as plain JSON values."""
    return msgspec.to_builtins(obj)


def encode(obj: Any) -> bytes:
    """Return a record (or anything holding records) as compact JSON bytes."""
    return msgspec.json.encode(obj)


def validated(obj: T) -> T:
    """Return a record built in-process, checked against every bound of its type.

    A Struct's constructor does not check `msgspec.Meta` bounds, so a record
    assembled from someone else's data goes through here before it is trusted.
    """
    return decode(to_builtins(obj), type(obj))


def record_error(message: str, where: str = "") -> RecordError:
    """Translate one msgspec validation message into a RecordError naming the field."""
    found = _AT.match(message)
    assert found is not None  # the pattern matches any string
    problem, path = found["problem"], _path(found["path"] or "")
    if problem.startswith("Expected `str` matching regex"):
        # The text pattern of `scalars` (a regex means nothing to a player).
        problem = "must be text with a visible character and no NUL byte or lone surrogate"
    elif problem.startswith("Invalid enum value"):
        # msgspec quotes the value, which may be anything a user typed: refusals
        # are logged (the outbox's dead letters), and logs hold no user content.
        problem = "is not one of the values this field takes"
    named = _NAMED.match(problem)
    if named:
        path = _join(path, named["name"])
        problem = "is not a known field" if "unknown" in problem else "is required"
    else:
        ours = _OURS.match(problem)
        if ours:
            inner = ours["name"]
            problem = ours["problem"]
            path = _join(path, inner)
    field = _join(where, path) or where or "body"
    return RecordError(field, problem)


def _path(path: str) -> str:
    # msgspec writes "$.groups[0].value" and "$[...]" for a mapping's values.
    return path.removeprefix(".").replace("[...]", "")


def _join(prefix: str, name: str) -> str:
    if not prefix:
        return name
    if not name:
        return prefix
    return prefix + name if name.startswith("[") else f"{prefix}.{name}"
