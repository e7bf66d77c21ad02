"""How a package declares its settings, so that one loader can fill them.

Each package keeps one frozen dataclass of settings and declares every field
with `setting()`: its default, a one-line help (shown in `config.toml`),
whether it is a secret (read from the environment only, never printed), its
environment variable when that is not `FUMBLEBOT_<SECTION>_<KEY>`, and its
rules. The composition root's loader (`bot.config`) reads `config.toml` and
the environment straight into these types from these declarations alone, so
a setting is written once, where the package that uses it lives.

This module is imported by every `fumblebot` command: keep it light.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

Check = Callable[[Any], None]
"""A rule beyond min/max: raises `Invalid` for a value it refuses."""


class Invalid(ValueError):
    """A value a `Check` refused: what is wrong, and how to fix it."""

    def __init__(self, problem: str, fix: str) -> None:
        super().__init__(problem)
        self.problem = problem
        self.fix = fix


@dataclass(frozen=True, slots=True)
class Declared:
    """What the loader knows of one setting beyond its name, type and default."""

    help: str
    secret: bool = False
    env: str | None = None
    min: float | None = None
    max: float | None = None
    check: Check | None = None
    # A valid value unlike the default, for settings whose type alone does
    # not say what a valid value looks like (URLs, keys); the loader's tests use it.
    example: Any = None


_KEY = "fumblebot.setting"


def setting(
    default: Any,
    help: str,
    *,
    secret: bool = False,
    env: str | None = None,
    min: float | None = None,
    max: float | None = None,
    check: Check | None = None,
    example: Any = None,
) -> Any:
    """Declare a settings field: its default, one-line help, and how it is read and checked."""
    declared = Declared(help, secret, env, min, max, check, example)
    # A secret never shows in a repr, so it cannot leak into a log or a traceback.
    return dataclasses.field(default=default, repr=not secret, metadata={_KEY: declared})


def declared(f: dataclasses.Field[Any]) -> Declared | None:
    """Return a field's declaration, or None for a field not declared with `setting()`."""
    value = f.metadata.get(_KEY)
    return value if isinstance(value, Declared) else None


def no_password_in_url(example: str, fix: str) -> Check:
    """Return a check refusing a URL that carries a password (URLs end up in logs)."""

    def check(url: str) -> None:
        if url and not re.match(r"^[\w+.-]+://", url):
            raise Invalid("is not a URL", f"write it like {example}")
        netloc = url.partition("://")[2].split("/", 1)[0]
        if ":" in netloc.rpartition("@")[0]:
            raise Invalid("holds a password", fix)

    return check


__all__ = ["Check", "Declared", "Invalid", "declared", "no_password_in_url", "setting"]
