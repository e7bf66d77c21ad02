"""The standard roll record: one shape for every roll, whatever made it.

Discord's `/roll`, each VTT's own roll format and the bridge's server-side
roller all end up as a `RollRecord`. It keeps every die, kept or dropped, and
the raw source payload as received, so Core can always re-derive or audit.

`from_dict` is the only way untrusted JSON becomes a record: it checks types
and bounds field by field and names the field it rejects.
"""

from __future__ import annotations

import enum
import math
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, TypedDict, TypeVar

from core_client.errors import RecordError

# Bounds keep one hostile record from costing Core more than a normal one.
MAX_GROUPS = 100
MAX_DICE_PER_GROUP = 1000
MAX_TEXT = 2000
MAX_ID = 200

_E = TypeVar("_E", bound=enum.StrEnum)


class Platform(enum.StrEnum):
    """Where a roll was made."""

    DISCORD = "discord"
    ROLL20 = "roll20"
    FOUNDRY = "foundry"
    DNDBEYOND = "dndbeyond"
    BEYOND20 = "beyond20"
    OWLBEAR = "owlbear"
    BRIDGE = "bridge"


class Visibility(enum.StrEnum):
    """Who may see a roll."""

    PUBLIC = "public"
    PRIVATE = "private"  # the roller and the GM
    GM = "gm"  # the GM only (Roll20's gmrollresult, Foundry's blind roll)


class DieDict(TypedDict):
    sides: int | str
    value: int
    kept: bool
    exploded: bool
    rerolled: bool


class DiceGroupDict(TypedDict):
    notation: str
    sides: int | str
    label: str | None
    subtotal: float | int | None
    dice: list[DieDict]


class RollRecordDict(TypedDict):
    id: str
    platform: str
    source_message_id: str | None
    campaign_id: str
    game_id: str | None
    actor_id: str | None
    actor_name: str | None
    character_name: str | None
    formula: str
    total: float | int
    groups: list[DiceGroupDict]
    label: str | None
    visibility: str
    crit: bool
    fumble: bool
    raw: Any


@dataclass(frozen=True, slots=True)
class Die:
    """One die as it landed."""

    sides: int | str
    value: int
    kept: bool = True
    exploded: bool = False
    rerolled: bool = False


@dataclass(frozen=True, slots=True)
class DiceGroup:
    """One dice term, such as `2d20kh1`, with every die it rolled."""

    notation: str
    sides: int | str
    dice: tuple[Die, ...]
    label: str | None = None
    subtotal: float | int | None = None

    def to_dict(self) -> DiceGroupDict:
        """Return the JSON-ready form of the group."""
        return {
            "notation": self.notation,
            "sides": self.sides,
            "label": self.label,
            "subtotal": self.subtotal,
            "dice": [
                {
                    "sides": d.sides,
                    "value": d.value,
                    "kept": d.kept,
                    "exploded": d.exploded,
                    "rerolled": d.rerolled,
                }
                for d in self.dice
            ],
        }


@dataclass(frozen=True, slots=True)
class RollRecord:
    """A roll in the standard shape shared by bot, bridge and Core."""

    platform: Platform
    campaign_id: str
    formula: str
    total: float | int
    groups: tuple[DiceGroup, ...] = ()
    id: str = field(default_factory=lambda: str(uuid.uuid4()))
    source_message_id: str | None = None
    game_id: str | None = None
    actor_id: str | None = None
    actor_name: str | None = None
    character_name: str | None = None
    label: str | None = None
    visibility: Visibility = Visibility.PUBLIC
    crit: bool = False
    fumble: bool = False
    raw: Any = None

    def to_dict(self) -> RollRecordDict:
        """Return the JSON-ready form of the record."""
        return {
            "id": self.id,
            "platform": self.platform.value,
            "source_message_id": self.source_message_id,
            "campaign_id": self.campaign_id,
            "game_id": self.game_id,
            "actor_id": self.actor_id,
            "actor_name": self.actor_name,
            "character_name": self.character_name,
            "formula": self.formula,
            "total": self.total,
            "groups": [g.to_dict() for g in self.groups],
            "label": self.label,
            "visibility": self.visibility.value,
            "crit": self.crit,
            "fumble": self.fumble,
            "raw": self.raw,
        }

    @classmethod
    def from_dict(cls, data: object) -> RollRecord:
        """Validate untrusted JSON and build a record, naming the first bad field."""
        obj = _mapping(data, "roll")
        groups = _list(obj.get("groups", []), "groups", MAX_GROUPS)
        return cls(
            id=_text(obj.get("id") or str(uuid.uuid4()), "id", MAX_ID),
            platform=_enum(Platform, obj.get("platform"), "platform"),
            source_message_id=_opt_text(obj.get("source_message_id"), "source_message_id", MAX_ID),
            campaign_id=_text(obj.get("campaign_id"), "campaign_id", MAX_ID),
            game_id=_opt_text(obj.get("game_id"), "game_id", MAX_ID),
            actor_id=_opt_text(obj.get("actor_id"), "actor_id", MAX_ID),
            actor_name=_opt_text(obj.get("actor_name"), "actor_name", MAX_ID),
            character_name=_opt_text(obj.get("character_name"), "character_name", MAX_ID),
            formula=_text(obj.get("formula"), "formula", MAX_TEXT),
            total=_number(obj.get("total"), "total"),
            groups=tuple(_group_from(g, f"groups[{i}]") for i, g in enumerate(groups)),
            label=_opt_text(obj.get("label"), "label", MAX_TEXT),
            visibility=_enum(Visibility, obj.get("visibility", "public"), "visibility"),
            crit=_bool(obj.get("crit", False), "crit"),
            fumble=_bool(obj.get("fumble", False), "fumble"),
            raw=obj.get("raw"),
        )


def _group_from(data: object, where: str) -> DiceGroup:
    obj = _mapping(data, where)
    dice = _list(obj.get("dice", []), f"{where}.dice", MAX_DICE_PER_GROUP)
    subtotal = obj.get("subtotal")
    return DiceGroup(
        notation=_text(obj.get("notation"), f"{where}.notation", MAX_TEXT),
        sides=_sides(obj.get("sides"), f"{where}.sides"),
        label=_opt_text(obj.get("label"), f"{where}.label", MAX_TEXT),
        subtotal=None if subtotal is None else _number(subtotal, f"{where}.subtotal"),
        dice=tuple(_die_from(d, f"{where}.dice[{i}]") for i, d in enumerate(dice)),
    )


def _die_from(data: object, where: str) -> Die:
    obj = _mapping(data, where)
    value = obj.get("value")
    if not isinstance(value, int) or isinstance(value, bool) or abs(value) > 10**9:
        raise RecordError(f"{where}.value", "must be an integer")
    return Die(
        sides=_sides(obj.get("sides"), f"{where}.sides"),
        value=value,
        kept=_bool(obj.get("kept", True), f"{where}.kept"),
        exploded=_bool(obj.get("exploded", False), f"{where}.exploded"),
        rerolled=_bool(obj.get("rerolled", False), f"{where}.rerolled"),
    )


def _mapping(value: object, where: str) -> Mapping[str, Any]:
    if not isinstance(value, Mapping):
        raise RecordError(where, "must be a JSON object")
    return value


def _list(value: object, where: str, limit: int) -> list[Any]:
    if not isinstance(value, list):
        raise RecordError(where, "must be a JSON array")
    if len(value) > limit:
        raise RecordError(where, f"has {len(value)} items; at most {limit} are allowed")
    return value


def _text(value: object, where: str, limit: int) -> str:
    if not isinstance(value, str) or not value.strip():
        raise RecordError(where, "must be a non-empty string")
    if len(value) > limit:
        raise RecordError(where, f"is {len(value)} characters; at most {limit} are allowed")
    return value


def _opt_text(value: object, where: str, limit: int) -> str | None:
    return None if value is None else _text(value, where, limit)


def _number(value: object, where: str) -> float | int:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise RecordError(where, "must be a number")
    if isinstance(value, float) and not math.isfinite(value):
        raise RecordError(where, "must be finite")
    if abs(value) > 10**15:
        raise RecordError(where, "is out of range")
    return value


def _sides(value: object, where: str) -> int | str:
    if value == "F":
        return "F"
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 10**6:
        raise RecordError(where, "must be a die size from 0 to 1000000, or 'F'")
    return value


def _bool(value: object, where: str) -> bool:
    if not isinstance(value, bool):
        raise RecordError(where, "must be true or false")
    return value


def _enum(kind: type[_E], value: object, where: str) -> _E:
    try:
        return kind(str(value))
    except ValueError:
        allowed = ", ".join(m.value for m in kind)
        raise RecordError(where, f"must be one of {allowed}") from None
