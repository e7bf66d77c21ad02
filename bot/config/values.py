"""One setting's value: read from TOML or environment text by its declared type, and written back.

The types a setting may have are `bool`, `int`, `float`, `str`, a `Literal`
of strings, `str | None` (secrets), and tuples of `str` or of a record with
`from_text` / `to_text` (e.g. `storage.settings.ApiKeyGrant`). Anything else
is a declaration error, raised as `TypeError` so a test catches it.
"""

from __future__ import annotations

import types
import typing
from typing import Any, Literal, Protocol

from bot.errors import ConfigError
from core_client.settings import Invalid

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}
_EXAMPLES = {bool: "true", int: "8710", float: "15.0", str: '"text"'}


class Textual(Protocol):
    """A record written as one word in the environment."""

    def to_text(self) -> str: ...


def optional(kind: Any) -> Any:
    """Return `X` for `X | None`, else None."""
    if typing.get_origin(kind) in (typing.Union, types.UnionType):
        args = [a for a in typing.get_args(kind) if a is not type(None)]
        if len(args) == 1:
            return args[0]
    return None


def choices(kind: Any) -> tuple[str, ...] | None:
    """Return the allowed values of a `Literal` type, else None."""
    return typing.get_args(kind) if typing.get_origin(kind) is Literal else None


def item_type(kind: Any) -> Any:
    """Return `X` for `tuple[X, ...]`, else None."""
    if typing.get_origin(kind) is tuple:
        args = typing.get_args(kind)
        if len(args) == 2 and args[1] is Ellipsis:
            return args[0]
    return None


def from_env(key: str, kind: Any, text: str) -> Any:
    """Return the value environment text holds for a setting of type `kind`."""
    text = text.strip()
    if (inner := optional(kind)) is not None:
        return from_env(key, inner, text) if text else None
    if (item := item_type(kind)) is not None:
        if item is str:
            return tuple(text.replace(",", " ").split())
        return tuple(_from_text(key, item, word) for word in text.split())
    if kind is bool:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ConfigError(key, f"{text!r} is not a boolean", "use true or false")
    if kind is int or kind is float:
        try:
            return kind(text)
        except ValueError:
            raise ConfigError(key, f"{text!r} is not a number", "use digits, e.g. 8710") from None
    if kind is str or choices(kind) is not None:
        return text
    raise TypeError(f"{key}: a {kind} setting cannot be read")


def from_toml(key: str, kind: Any, value: Any) -> Any:
    """Return the value a TOML value holds for a setting of type `kind`."""
    if (inner := optional(kind)) is not None:
        return from_toml(key, inner, value)
    if choices(kind) is not None:
        kind = str
    if (item := item_type(kind)) is not None:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(v if item is str else _from_text(key, item, v) for v in value)
        raise ConfigError(key, "must be a list of strings", 'write it as ["a", "b"]')
    if kind not in _EXAMPLES:
        raise TypeError(f"{key}: a {kind} setting cannot be read")
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    problem = f"{value!r} is a {type(value).__name__}, not a {kind.__name__}"
    raise ConfigError(key, problem, f"write e.g. {_EXAMPLES[kind]}")


def _from_text(key: str, item: Any, word: str) -> Any:
    parse = getattr(item, "from_text", None)
    if parse is None:
        raise TypeError(f"{key}: {item} has no from_text, so it cannot be read")
    try:
        return parse(word)
    except Invalid as exc:
        raise ConfigError(key, exc.problem, exc.fix) from None


def to_env(value: Any) -> str:
    """Return `value` as environment text that `from_env` reads back."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, tuple):
        return " ".join(to_env(v) for v in value)
    if hasattr(value, "to_text"):
        return typing.cast(Textual, value).to_text()
    return "" if value is None else str(value)


def to_toml(value: Any) -> str:
    """Return `value` as a TOML value."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(to_toml(v) for v in value) + "]"
    if hasattr(value, "to_text"):
        return to_toml(typing.cast(Textual, value).to_text())
    return repr(value)
