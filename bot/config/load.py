"""Parse `config.toml` plus the environment into `Settings`, once.

Precedence: environment (`FUMBLEBOT_<SECTION>_<KEY>`, or the variable a
setting declares) over the file over the defaults. Every section is its
package's settings type and every key one of its fields, read as the field's
declaration says (`core_client.settings.setting`): this module knows no
setting by name. Secrets are read from the environment only. Anything
unknown or invalid stops start-up with a `ConfigError` that names the key,
says what is wrong and how to fix it.
"""

from __future__ import annotations

import dataclasses
import difflib
import tomllib
import typing
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

from bot.config import values
from bot.config.schema import Settings
from bot.errors import ConfigError
from core_client.settings import Declared, Invalid, declared

ENV_PREFIX = "FUMBLEBOT_"
SECRET_SUFFIXES = ("token", "secret", "secrets", "api_key", "api_keys", "password")


@dataclasses.dataclass(frozen=True, slots=True)
class Key:
    """One setting as the loader sees it: where it lives and how it is declared."""

    section: str
    name: str
    kind: Any
    default: Any
    declared: Declared

    @property
    def env(self) -> str:
        """Return the environment variable that sets this key."""
        return self.declared.env or f"{ENV_PREFIX}{self.section}_{self.name}".upper()

    @property
    def secret(self) -> bool:
        """Return whether the key is read from the environment only."""
        return self.declared.secret


def sections() -> Iterator[tuple[str, type[Any]]]:
    """Yield each `[section]` name with its package's settings type."""
    hints = typing.get_type_hints(Settings)
    for f in dataclasses.fields(Settings):
        yield f.name, hints[f.name]


def keys(section: str, kind: type[Any]) -> list[Key]:
    """Return the keys of a section: every field its type's constructor takes."""
    hints = typing.get_type_hints(kind)
    found = []
    for f in dataclasses.fields(kind):
        if not f.init:
            continue  # derived in __post_init__, not a setting
        decl = declared(f)
        if decl is None:
            raise TypeError(f"{kind.__name__}.{f.name} is not declared with setting()")
        found.append(Key(section, f.name, hints[f.name], f.default, decl))
    return found


def all_keys() -> Iterator[Key]:
    """Yield every key of every section."""
    for section, kind in sections():
        yield from keys(section, kind)


def load(path: Path | None, env: Mapping[str, str]) -> Settings:
    """Return the effective settings from a TOML file (optional) and the environment."""
    raw = _read_toml(path) if path is not None else {}
    _check_env_names(env)
    known = dict(sections())
    for name, table in raw.items():
        if name not in known:
            _unknown_section(name, table)
    parsed = {}
    for name, kind in known.items():
        table = raw.get(name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{name}]", "must be a table", f"write it as [{name}]")
        parsed[name] = _section(name, kind, table, env)
    return Settings(**parsed)


def _check_env_names(env: Mapping[str, str]) -> None:
    """Refuse a misspelt `FUMBLEBOT_<SECTION>_...` variable rather than ignore it."""
    known = {k.env for k in all_keys()}
    prefixes = tuple(f"{ENV_PREFIX}{name}_".upper() for name, _ in sections())
    for name in env:
        if name.startswith(prefixes) and name not in known:
            close = difflib.get_close_matches(name, known, n=1)
            fix = f"did you mean {close[0]}?" if close else "see config.toml for the settings"
            raise ConfigError(name, "unknown setting", fix)


def _read_toml(path: Path) -> dict[str, Any]:
    try:
        with path.open("rb") as fh:
            return tomllib.load(fh)
    except FileNotFoundError:
        raise ConfigError(
            str(path), "file not found", "pass --config with an existing file"
        ) from None
    except tomllib.TOMLDecodeError as exc:
        raise ConfigError(str(path), f"invalid TOML ({exc})", "correct the syntax") from exc


def _secret_envs() -> str:
    return ", ".join(k.env for k in all_keys() if k.secret)


def _unknown_section(name: str, value: Any) -> None:
    if name == "secrets" or (isinstance(value, dict) and any(map(_looks_secret, value))):
        raise ConfigError(
            f"[{name}]",
            "secrets are not read from config.toml",
            "remove them from the file and set them in the environment: " + _secret_envs(),
        )
    known = ", ".join(name for name, _ in sections())
    raise ConfigError(f"[{name}]", "unknown section", f"use one of: {known}")


def _looks_secret(key: str) -> bool:
    return key.endswith(SECRET_SUFFIXES)


def _section(name: str, kind: type[Any], table: dict[str, Any], env: Mapping[str, str]) -> Any:
    by_name = {k.name: k for k in keys(name, kind)}
    for given in table:
        _check_file_key(name, given, by_name)
    parsed = {}
    for key in by_name.values():
        if key.env in env:
            label = f"{name}.{key.name} (from {key.env})"
            value = values.from_env(label, key.kind, env[key.env])
        elif key.name in table:
            label = f"{name}.{key.name}"
            value = values.from_toml(label, key.kind, table[key.name])
        else:
            continue
        _check_rules(label, value, key)
        parsed[key.name] = value
    try:
        return kind(**parsed)
    except ValueError as exc:  # a rule the type checks itself, across fields
        raise ConfigError(f"[{name}]", str(exc), "correct the values of this section") from None


def _check_file_key(section: str, name: str, by_name: Mapping[str, Key]) -> None:
    key = by_name.get(name)
    if key is not None and not key.secret:
        return
    if key is not None or _looks_secret(name):
        where = key.env if key is not None else _secret_envs()
        raise ConfigError(
            f"{section}.{name}",
            "secrets are not read from config.toml",
            f"remove it and set it in the environment: {where}",
        )
    raise ConfigError(
        f"{section}.{name}", "unknown setting", f"use one of: {', '.join(_file_keys(by_name))}"
    )


def _file_keys(by_name: Mapping[str, Key]) -> list[str]:
    return [k.name for k in by_name.values() if not k.secret]


def _check_rules(label: str, value: Any, key: Key) -> None:
    rules = key.declared
    allowed = values.choices(key.kind)
    if allowed is not None and value not in allowed:
        raise ConfigError(label, f"{value!r} is not allowed", f"use one of: {', '.join(allowed)}")
    if rules.min is not None and value < rules.min:
        raise ConfigError(label, f"{value!r} is below {rules.min}", f"use {rules.min} or more")
    if rules.max is not None and value > rules.max:
        raise ConfigError(label, f"{value!r} is above {rules.max}", f"use {rules.max} or less")
    if rules.check is not None:
        try:
            rules.check(value)
        except Invalid as exc:
            raise ConfigError(label, exc.problem, exc.fix) from exc
