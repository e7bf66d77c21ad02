"""Import character sheets exported from DiceCloud, Foundry VTT and Roll20.

Each parser reads only what FumbleBot shows and the AI uses (name, HP, AC,
ability scores) and keeps the whole export untouched as the source JSON, so
nothing the VTT knows is lost. The result is the contract's
`CharacterUpserted`, checked against its declaration (the bounds Core
enforces), so a sheet the bot accepts is one Core stores. Anything
unrecognisable raises `CharacterImportError` saying what was expected.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from bot.errors import FumbleBotError
from core_client import CharacterUpserted, Platform, RecordError
from core_client.contract import codec
from core_client.contract.scalars import MAX_SHEET_BYTES

MAX_BYTES = 2 * MAX_SHEET_BYTES  # the file; its JSON must then fit MAX_SHEET_BYTES
ABILITIES = ("str", "dex", "con", "int", "wis", "cha")
_LONG = {
    "strength": "str",
    "dexterity": "dex",
    "constitution": "con",
    "intelligence": "int",
    "wisdom": "wis",
    "charisma": "cha",
}


class CharacterImportError(FumbleBotError):
    """A file is not a character sheet we can read."""


def parse_character(raw: bytes) -> CharacterUpserted:
    """Read a character export, whichever of the supported VTTs made it."""
    if len(raw) > MAX_BYTES:
        raise CharacterImportError(f"the file is over {MAX_BYTES // 1000} kB")
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise CharacterImportError(f"the file is not JSON ({exc.__class__.__name__})") from exc
    if not isinstance(data, Mapping):
        raise CharacterImportError("the file holds JSON, but not a character object")
    for parser in (_foundry, _roll20, _dicecloud):
        try:
            found = parser(data)
            if found is not None:
                return codec.validated(found)
        except RecordError as exc:  # from the Struct's own JSON checks, or its bounds
            raise CharacterImportError(f"the sheet's {exc.field} {exc.problem}") from exc
    raise CharacterImportError(
        "this is not a DiceCloud, Foundry VTT actor or Roll20 character export"
    )


def _sheet(platform: Platform, name: str, data: Mapping[str, Any], stats: Any) -> CharacterUpserted:
    """Return the character, keeping the export whole (and in its VTT's own column)."""
    source = dict(data)
    return CharacterUpserted(
        name=name,
        source_platform=platform,
        source=source,
        stats=_clean(stats),
        roll20=source if platform is Platform.ROLL20 else None,
        foundry=source if platform is Platform.FOUNDRY else None,
    )


def _foundry(data: Mapping[str, Any]) -> CharacterUpserted | None:
    system = data.get("system", data.get("data"))
    if not isinstance(system, Mapping) or "type" not in data or "name" not in data:
        return None
    attributes = _map(system.get("attributes"))
    hp = _map(attributes.get("hp"))
    abilities = _map(system.get("abilities"))
    stats = {
        "hp": _int(hp.get("value")),
        "hp_max": _int(hp.get("max")),
        "ac": _int(_map(attributes.get("ac")).get("value")),
        "abilities": {k: _int(_map(abilities.get(k)).get("value")) for k in ABILITIES},
    }
    return _sheet(Platform.FOUNDRY, _name(data["name"]), data, stats)


def _roll20(data: Mapping[str, Any]) -> CharacterUpserted | None:
    inner = data.get("character") if isinstance(data.get("character"), Mapping) else data
    assert isinstance(inner, Mapping)
    attribs = inner.get("attribs")
    if not isinstance(attribs, list) or "name" not in inner:
        return None
    values = {str(a.get("name", "")).lower(): a for a in attribs if isinstance(a, Mapping)}
    hp = values.get("hp", {})
    stats = {
        "hp": _int(hp.get("current")),
        "hp_max": _int(hp.get("max")),
        "ac": _int(values.get("ac", {}).get("current")),
        "abilities": {
            short: _int(values.get(long, {}).get("current")) for long, short in _LONG.items()
        },
    }
    return _sheet(Platform.ROLL20, _name(inner["name"]), data, stats)


def _dicecloud(data: Mapping[str, Any]) -> CharacterUpserted | None:
    creatures = data.get("creatures")
    props = data.get("creatureProperties")
    if not isinstance(creatures, list) or not creatures or not isinstance(props, list):
        return None
    name = _map(creatures[0]).get("name")
    values: dict[str, Any] = {}
    for prop in props:
        prop = _map(prop)
        if prop.get("type") == "attribute" and isinstance(prop.get("variableName"), str):
            values[prop["variableName"].lower()] = prop.get("total", prop.get("value"))
    stats = {
        "hp": _int(values.get("hitpoints")),
        "ac": _int(values.get("armor")),
        "abilities": {short: _int(values.get(long)) for long, short in _LONG.items()},
    }
    return _sheet(Platform.DICECLOUD, _name(name), data, stats)


def _map(value: Any) -> Mapping[str, Any]:
    return value if isinstance(value, Mapping) else {}


def _int(value: Any) -> int | None:
    if isinstance(value, bool):
        return None
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    return None


def _name(value: Any) -> str:
    if not isinstance(value, str) or not value.strip():
        raise CharacterImportError("the character has no name")
    return value.strip()[:100]


def _clean(stats: dict[str, Any]) -> dict[str, Any]:
    """Drop what the export did not say, so unknown is not shown as zero."""
    abilities = {k: v for k, v in stats.pop("abilities", {}).items() if v is not None}
    cleaned = {k: v for k, v in stats.items() if v is not None}
    if abilities:
        cleaned["abilities"] = abilities
    return cleaned
