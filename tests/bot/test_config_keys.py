"""Every field of every package's settings type can be set, from the file and from the environment.

Generated from the declarations: a field added to a settings type is tested
here without anyone writing a test, and fails here if the loader cannot set it.
"""

from __future__ import annotations

import dataclasses
import importlib
import inspect
from pathlib import Path
from typing import Any

import pytest

from bot.config import load
from bot.config.load import Key, all_keys, sections
from bot.config.values import choices, item_type, optional, to_env, to_toml
from bot.errors import ConfigError
from core_client.settings import declared

REPO = Path(__file__).resolve().parents[2]
KEYS = list(all_keys())


def example(key: Key) -> Any:
    """Return a valid value for `key` that is not its default."""
    if key.declared.example is not None:
        return key.declared.example
    kind = optional(key.kind) or key.kind
    if (allowed := choices(kind)) is not None:
        return next(c for c in allowed if c != key.default)
    if kind is bool:
        return not key.default
    if kind is int or kind is float:
        return _number(kind, key)
    if kind is str:
        return f"{key.default}-example"
    if item_type(kind) is str:
        return ("https://one.example", "https://two.example")
    raise AssertionError(f"declare an example= for {key.section}.{key.name} ({key.kind})")


def _number(kind: type[Any], key: Key) -> Any:
    low, high, default = key.declared.min, key.declared.max, key.default
    candidates = [default + 1, default - 1]
    if high is not None:
        candidates.append((default + high) / 2)
    for candidate in map(kind, candidates):
        above = low is None or candidate >= low
        below = high is None or candidate <= high
        if candidate != default and above and below:
            return candidate
    raise AssertionError(f"no value for {key.section}.{key.name} between {low} and {high}")


def carried(key: Key, settings: Any, value: Any) -> None:
    """Assert the package's settings object holds `value` for `key`, and nothing else changed."""
    section = getattr(settings, key.section)
    assert getattr(section, key.name) == value
    assert dataclasses.replace(section, **{key.name: key.default}) == type(section)()


def _id(key: Key) -> str:
    return f"{key.section}.{key.name}"


@pytest.mark.parametrize("key", KEYS, ids=_id)
def test_every_setting_can_be_set_from_the_environment(key: Key) -> None:
    value = example(key)
    assert value != key.default
    carried(key, load(None, {key.env: to_env(value)}), value)


@pytest.mark.parametrize("key", KEYS, ids=_id)
def test_every_setting_but_a_secret_can_be_set_from_the_file(key: Key, tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(f"[{key.section}]\n{key.name} = {to_toml(example(key))}\n")
    if key.secret:
        with pytest.raises(ConfigError, match=r"secrets are not read from config\.toml"):
            load(path, {})
    else:
        carried(key, load(path, {}), example(key))


def test_every_settings_type_is_a_section() -> None:
    # A settings type that is declared but not listed in bot.config.schema
    # would never be filled: every *settings.py type with setting() fields is a section.
    types = {kind for _, kind in sections()}
    for path in [*REPO.glob("*/settings.py"), *REPO.glob("*/*/settings.py")]:
        module = importlib.import_module(".".join(path.relative_to(REPO).with_suffix("").parts))
        for _, cls in inspect.getmembers(module, dataclasses.is_dataclass):
            if cls.__module__ == module.__name__ and any(
                declared(f) for f in dataclasses.fields(cls)
            ):
                assert cls in types, f"{cls.__qualname__} is not a section of bot.config.Settings"


def test_every_secret_has_its_own_variable() -> None:
    secrets = [k.env for k in KEYS if k.secret]
    assert len(secrets) == len(set(secrets))
    assert len({k.env for k in KEYS}) == len(KEYS)
