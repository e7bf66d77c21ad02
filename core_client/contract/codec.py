"""The one way contract records are decoded and encoded.

`decode` validates untrusted JSON (bytes, or objects another reader already
parsed) against a contract type; every refusal, whatever msgspec found, is
a `RecordError` whose `field` is the path of the culprit (`groups[0].value`),
so each edge can answer 422 naming it. `to_builtins` and `encode` are the
inverse, for any record; no record has a hand-written `to_dict`.
"""

from __future__ import annotations

import re
from typing import Any, TypeVar

import msgspec

from core_client.errors import RecordError

T = TypeVar("T")

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
