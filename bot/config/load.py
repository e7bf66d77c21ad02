"""Parse `config.toml` plus the environment into `Settings`, once.

Precedence: environment (`FUMBLEBOT_<SECTION>_<KEY>`) over the file over the
defaults in `schema.py`. Anything unknown or out of range stops start-up with
a `ConfigError` that names the key, says what is wrong and how to fix it.
"""

from __future__ import annotations

import base64
import binascii
import dataclasses
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from bot.config.schema import SECRET_ENV, Secrets, Settings
from bot.errors import ConfigError
from core_client import signing
from core_client.errors import SignatureError

ENV_PREFIX = "FUMBLEBOT_"
SECRET_SUFFIXES = ("token", "secret", "secrets", "api_key", "password")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}


def load(path: Path | None, env: Mapping[str, str]) -> Settings:
    """Return the effective settings from a TOML file (optional) and the environment."""
    raw = _read_toml(path) if path is not None else {}
    sections: dict[str, Any] = {}
    section_types = typing.get_type_hints(Settings)
    for name in raw:
        if name not in section_types or name == "secrets":
            _unknown_section(name, raw[name])
    for f in dataclasses.fields(Settings):
        if f.name == "secrets":
            continue
        table = raw.get(f.name, {})
        if not isinstance(table, dict):
            raise ConfigError(f"[{f.name}]", "must be a table", f"write it as [{f.name}]")
        sections[f.name] = _section(f.name, section_types[f.name], table, env)
    settings = Settings(**sections, secrets=_secrets(env))
    _check_database_url(settings.core.database_url)
    _check_redis_url(settings.bridge.redis_url)
    return settings


def _check_redis_url(url: str) -> None:
    _, sep, rest = url.partition("://")
    userinfo = rest.split("/", 1)[0].rpartition("@")[0] if sep else ""
    if ":" in userinfo:
        raise ConfigError(
            "bridge.redis_url",
            "holds a password",
            "remove it from the URL and set FUMBLEBOT_REDIS_PASSWORD in the environment",
        )


def _check_database_url(url: str) -> None:
    if not url:
        return
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise ConfigError(
            "core.database_url", "is not a SQLAlchemy URL", "use e.g. postgresql+asyncpg://host/db"
        ) from None
    if parsed.password:
        # A URL ends up in logs and tracebacks; a password must not.
        raise ConfigError(
            "core.database_url",
            "holds a password",
            "remove it from the URL and set PGPASSWORD in the environment",
        )


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


def _unknown_section(name: str, value: Any) -> None:
    if name == "secrets" or (isinstance(value, dict) and any(map(_looks_secret, value))):
        raise ConfigError(
            f"[{name}]",
            "secrets are not read from config.toml",
            "remove them from the file and set " + ", ".join(SECRET_ENV.values()),
        )
    known = ", ".join(f.name for f in dataclasses.fields(Settings) if f.name != "secrets")
    raise ConfigError(f"[{name}]", "unknown section", f"use one of: {known}")


def _looks_secret(key: str) -> bool:
    return key in SECRET_ENV or key.endswith(SECRET_SUFFIXES)


def _section(name: str, kind: type[Any], table: dict[str, Any], env: Mapping[str, str]) -> Any:
    fields = {f.name: f for f in dataclasses.fields(kind)}
    for key in table:
        if key not in fields:
            if _looks_secret(key):
                raise ConfigError(
                    f"{name}.{key}",
                    "secrets are not read from config.toml",
                    "remove it and set it in the environment: " + ", ".join(SECRET_ENV.values()),
                )
            raise ConfigError(
                f"{name}.{key}", "unknown setting", f"use one of: {', '.join(fields)}"
            )
    hints = typing.get_type_hints(kind)
    values = {}
    for key, f in fields.items():
        env_name = f"{ENV_PREFIX}{name}_{key}".upper()
        if env_name in env:
            label = f"{name}.{key} (from {env_name})"
            value = _from_env(label, hints[key], env[env_name])
        elif key in table:
            label = f"{name}.{key}"
            value = _from_toml(label, hints[key], table[key])
        else:
            continue
        _check_rules(label, value, f.metadata)
        values[key] = value
    return kind(**values)


def _from_env(key: str, kind: Any, text: str) -> Any:
    text = text.strip()
    if kind is bool:
        if text.lower() in _TRUE | _FALSE:
            return text.lower() in _TRUE
        raise ConfigError(key, f"{text!r} is not a boolean", "use true or false")
    if kind is int or kind is float:
        try:
            return kind(text)
        except ValueError:
            raise ConfigError(key, f"{text!r} is not a number", "use digits, e.g. 8710") from None
    if typing.get_origin(kind) is tuple:
        return tuple(part.strip() for part in text.split(",") if part.strip())
    return text


def _from_toml(key: str, kind: Any, value: Any) -> Any:
    if typing.get_origin(kind) is tuple:
        if isinstance(value, list) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ConfigError(key, "must be a list of strings", 'write it as ["a", "b"]')
    if kind is float and isinstance(value, int) and not isinstance(value, bool):
        return float(value)
    if isinstance(value, kind) and not (kind is int and isinstance(value, bool)):
        return value
    example = {bool: "true", int: "8710", float: "15.0", str: '"text"'}.get(kind, "")
    problem = f"{value!r} is a {type(value).__name__}, not a {kind.__name__}"
    raise ConfigError(key, problem, f"write e.g. {example}")


def _check_rules(key: str, value: Any, rules: Mapping[str, Any]) -> None:
    if "min" in rules and value < rules["min"]:
        raise ConfigError(key, f"{value!r} is below {rules['min']}", f"use {rules['min']} or more")
    if "max" in rules and value > rules["max"]:
        raise ConfigError(key, f"{value!r} is above {rules['max']}", f"use {rules['max']} or less")
    if "choices" in rules and value not in rules["choices"]:
        raise ConfigError(
            key, f"{value!r} is not allowed", f"use one of: {', '.join(rules['choices'])}"
        )


def _secrets(env: Mapping[str, str]) -> Secrets:
    def get(name: str) -> str | None:
        value = env.get(SECRET_ENV[name], "").strip()
        return value or None

    raw = env.get(SECRET_ENV["webhook_secrets"], "")
    webhook = tuple(s for s in raw.replace(",", " ").split() if s)
    for secret in webhook:
        try:
            signing.decode_secret(secret)
        except SignatureError as exc:
            raise ConfigError(
                SECRET_ENV["webhook_secrets"],
                str(exc),
                "generate one with 'fumblebot gen-secret'",
            ) from exc
    _check_encryption_key(get("core_encryption_key"))
    return Secrets(
        discord_token=get("discord_token"),
        webhook_secrets=webhook,
        core_api_key=get("core_api_key"),
        core_encryption_key=get("core_encryption_key"),
        redis_password=get("redis_password"),
        openai_api_key=get("openai_api_key"),
        anthropic_api_key=get("anthropic_api_key"),
    )


def _check_encryption_key(value: str | None) -> None:
    if value is None:
        return
    try:
        size = len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        size = -1
    if size != 32:
        raise ConfigError(
            SECRET_ENV["core_encryption_key"],
            "must be 32 random bytes in base64",
            "generate one with 'fumblebot gen-secret --encryption-key'",
        )


def describe(settings: Settings) -> str:
    """Render the effective settings as TOML, with secrets masked."""
    lines = []
    for f in dataclasses.fields(settings):
        section = getattr(settings, f.name)
        lines.append(f"[{f.name}]")
        for sf in dataclasses.fields(section):
            value = getattr(section, sf.name)
            if f.name == "secrets":
                shown = f'"<set: {SECRET_ENV[sf.name]}>"' if value else "# not set"
                lines.append(f"{sf.name} = {shown}")
            else:
                lines.append(f"{sf.name} = {_toml_value(value)}")
        lines.append("")
    return "\n".join(lines)


TEMPLATE_HEADER = """\
# FumbleBot configuration. Every setting is here with a default that works for
# `fumblebot run`. Any key can be overridden from the environment as
# FUMBLEBOT_<SECTION>_<KEY>, e.g. FUMBLEBOT_CORE_PORT=9000.
#
# Secrets are never read from this file; set them in the environment:
""" + "".join(f"#   {env}\n" for env in SECRET_ENV.values())


def template() -> str:
    """Return config.toml as shipped: every setting at its default, with its help."""
    lines = [TEMPLATE_HEADER.rstrip("\n")]
    defaults = Settings()
    for f in dataclasses.fields(defaults):
        if f.name == "secrets":
            continue
        lines += ["", f"[{f.name}]"]
        section = getattr(defaults, f.name)
        for sf in dataclasses.fields(section):
            lines.append(f"# {sf.metadata['help']}")
            lines.append(f"{sf.name} = {_toml_value(getattr(section, sf.name))}")
    return "\n".join(lines) + "\n"


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, str):
        return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
    if isinstance(value, tuple):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    return repr(value)
