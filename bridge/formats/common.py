"""What every VTT converter shares: the roll's context and strict field readers.

Converters are pure functions `payload, context -> list[RollRecord]`. They
read a VTT's own JSON only through the helpers here, which raise `FormatError`
naming the path of the first bad field, so a 422 always says what was wrong.
The record a converter builds goes through `record`, which checks it against
the contract's declaration (`codec.validated`): what the bridge accepts, Core
accepts, so nothing the bridge answered 202 for is refused later.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Any

import msgspec

from bridge.errors import FormatError
from core_client import DiceGroup, Platform, RecordError, RollRecord, Visibility
from core_client.contract import codec
from core_client.contract.rolls import MAX_DICE_PER_GROUP
from core_client.contract.scalars import MAX_TEXT, MAX_TOTAL
from core_client.web import InvalidJSONError, decode_json

MAX_ITEMS = 1000


@dataclass(frozen=True, slots=True)
class RollContext:
    """Who posted a payload and for which game; the payload cannot override it."""

    campaign_id: str
    game_id: str | None = None
    actor_id: str | None = None
    actor_name: str | None = None


def embedded_json(value: object, where: str) -> object:
    """Decode roll JSON a VTT sends as a string inside its payload; other values pass.

    It goes through the same bounded decoder as a body, so JSON nested in a
    string is refused (422) just as it would be at the top (400).
    """
    if not isinstance(value, str):
        return value
    try:
        return decode_json(value.encode())
    except InvalidJSONError as exc:
        raise FormatError(f"is not roll JSON ({exc.message})", field=where) from None


def mapping(value: object, where: str) -> Mapping[str, Any]:
    """Return `value` as a JSON object or raise naming `where`."""
    if not isinstance(value, Mapping):
        raise FormatError("must be a JSON object", field=where)
    return value


def array(value: object, where: str, *, allow_empty: bool = True) -> list[Any]:
    """Return `value` as a bounded JSON array or raise naming `where`."""
    if not isinstance(value, list):
        raise FormatError("must be a JSON array", field=where)
    if len(value) > MAX_ITEMS:
        raise FormatError(f"has {len(value)} items; at most {MAX_ITEMS} are allowed", field=where)
    if not allow_empty and not value:
        raise FormatError("must not be empty", field=where)
    return value


def integer(value: object, where: str) -> int:
    """Return `value` as an int (integral floats and digit strings too) or raise."""
    if isinstance(value, str):
        digits = value.strip().removeprefix("-")
        # isdigit alone accepts "²", which int() refuses; 10 digits cover 10**9.
        if not (digits.isascii() and digits.isdigit() and len(digits) <= 10):
            raise FormatError("must be an integer", field=where)
        value = int(value.strip())
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int) or abs(value) > 10**9:
        raise FormatError("must be an integer", field=where)
    return value


def number(value: object, where: str) -> int | float:
    """Return `value` as a finite number (numeric strings too) or raise."""
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            raise FormatError("must be a number", field=where) from None
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise FormatError("must be a number", field=where)
    if isinstance(value, float):
        if not math.isfinite(value) or abs(value) > MAX_TOTAL:
            raise FormatError("must be a finite number", field=where)
        return int(value) if value.is_integer() else value
    if abs(value) > MAX_TOTAL:
        raise FormatError(f"must be at most {MAX_TOTAL} in size", field=where)
    return value


def text(value: object, where: str) -> str:
    """Return `value` as a non-empty string or raise."""
    if not isinstance(value, str) or not value.strip():
        raise FormatError("must be a non-empty string", field=where)
    return value.strip()


def opt_text(value: object, where: str) -> str | None:
    """Return `value` as a string, or None when it is absent or empty."""
    if value is None or value == "":
        return None
    return text(str(value) if isinstance(value, int | float) else value, where)


def face(value: int, sides: int | str, where: str, *, coin: bool = False) -> int:
    """Return a die's value, or raise when its own die cannot show it (a d20 showing 37).

    Numbered dice show 1 to `sides`, a coin 0 (tails) or 1 (heads), Fate dice -1 to 1.
    A size of 0 means the converter could not tell the die, so nothing is checked
    (nor for a size below, which the contract refuses naming `sides`).
    """
    if isinstance(sides, int) and sides < 1:
        return value
    low, high = (-1, 1) if sides == "F" else (0, 1) if coin else (1, int(sides))
    if not low <= value <= high:
        raise FormatError(f"is {value}, which a d{sides} cannot show", field=where)
    return value


def dice_count(count: int, results: int, where: str) -> int:
    """Return a term's claimed number of dice, or raise when its results contradict it.

    Every die rolled leaves a result (explosions and rerolls add more), so a
    term claiming more dice than it has results, such as 10**9 dice with
    none, is refused rather than believed.
    """
    if not 0 <= count <= MAX_DICE_PER_GROUP:
        raise FormatError(f"must be 0 to {MAX_DICE_PER_GROUP} dice", field=where)
    if results < count:
        raise FormatError(f"claims {count} dice but carries {results} results", field=where)
    return count


def flag(value: object, where: str) -> bool:
    """Return `value` as a bool; absent means False."""
    if value is None:
        return False
    if not isinstance(value, bool):
        raise FormatError("must be true or false", field=where)
    return value


def dropped(group: DiceGroup) -> DiceGroup:
    """Return `group` with every die not kept: a sub-roll that keep/drop left out."""
    dice = tuple(msgspec.structs.replace(d, kept=False) for d in group.dice)
    return DiceGroup(group.notation, group.sides, dice, group.label, 0)


def sub_roll_dropped(results: list[Any], index: int, *, discarded: tuple[str, ...]) -> bool:
    """Return whether a pool's `results[index]` marks that sub-roll as dropped.

    A pool (Foundry `PoolTerm`, Roll20 group) keeps or drops whole sub-rolls
    and says so in one result per sub-roll; `discarded` names the result's
    flags that mean dropped (`active` false always does).
    """
    if index >= len(results) or not isinstance(results[index], Mapping):
        return False
    res = results[index]
    return res.get("active", True) is False or any(res.get(k) for k in discarded)


def crit_fumble(groups: Iterable[DiceGroup]) -> tuple[bool, bool]:
    """Return whether a kept d20 shows 20 (crit) or 1 (fumble)."""
    kept = [d.value for g in groups for d in g.dice if d.kept and d.sides == 20]
    return 20 in kept, 1 in kept


def record(
    ctx: RollContext,
    platform: Platform,
    *,
    formula: str,
    total: int | float,
    groups: tuple[DiceGroup, ...],
    raw: Any,
    **extra: Any,
) -> RollRecord:
    """Return a record for `ctx`, deriving crit and fumble unless given."""
    crit, fumble = crit_fumble(groups)
    fields: dict[str, Any] = {
        "crit": crit,
        "fumble": fumble,
        "actor_id": ctx.actor_id,
        "actor_name": ctx.actor_name,
        "visibility": Visibility.PUBLIC,
    }
    fields.update({k: v for k, v in extra.items() if v is not None})
    try:
        built = RollRecord(
            platform=platform,
            campaign_id=ctx.campaign_id,
            game_id=ctx.game_id,
            formula=formula[:MAX_TEXT],
            total=total,
            groups=groups,
            raw=raw,
            **fields,
        )
        return codec.validated(built)
    except RecordError as exc:
        # `raw` is the posted payload itself; other fields name the converted roll's.
        where = exc.field.replace("raw", "payload", 1) if exc.field.startswith("raw") else exc.field
        raise FormatError(exc.problem, field=where) from None


def optional_mapping(obj: Mapping[str, Any], key: str) -> Mapping[str, Any]:
    """Return `obj[key]` when it is an object, else an empty one (optional parts)."""
    value = obj.get(key)
    return value if isinstance(value, Mapping) else {}


def optional_list(obj: Mapping[str, Any], key: str) -> list[Any]:
    """Return `obj[key]` when it is an array, else an empty one (optional parts)."""
    value = obj.get(key)
    return value if isinstance(value, list) else []
