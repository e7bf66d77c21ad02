"""Foundry VTT rolls: `Roll.toJSON()` and a ChatMessage with its `rolls`.

A serialised Roll is `{"class": "Roll", "formula", "terms", "total"}`. Dice
terms have `class: "Die"` (or `FateDie`, `Coin`), `number`, `faces`,
`modifiers` and `results: [{result, active, discarded, exploded, rerolled}]`;
a result that is not active (or is discarded) counts as dropped. Pool and
parenthetical terms nest further rolls, which are walked too.

A ChatMessage holds `rolls` as JSON strings (v10-v11) or objects (v12+).
`blind: true` makes it a GM-only roll (the roller is not shown the result);
a non-empty `whisper` list a private one (the roller, the GM and those
whispered to), as the rule in `bridge.formats` says.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from bridge.errors import FormatError
from bridge.formats.common import (
    RollContext,
    array,
    dice_count,
    dropped,
    embedded_json,
    face,
    flag,
    integer,
    mapping,
    number,
    opt_text,
    optional_list,
    optional_mapping,
    record,
    sub_roll_dropped,
    text,
)
from core_client import DiceGroup, Die, Platform, RollRecord, Visibility

DICE_CLASSES = {"Die", "FateDie", "Coin"}
_FIXED_SIDES: dict[str, int | str] = {"FateDie": "F", "Coin": 2}
MAX_DEPTH = 20


def from_roll(payload: object, ctx: RollContext) -> list[RollRecord]:
    """Convert one `Roll.toJSON()` to a record."""
    return [_roll(payload, ctx, "payload", raw=payload)]


def from_chat_message(payload: object, ctx: RollContext) -> list[RollRecord]:
    """Convert each roll of a ChatMessage to a record, with its visibility."""
    msg = mapping(payload, "payload")
    rolls = array(msg.get("rolls"), "payload.rolls", allow_empty=False)
    visibility = _visibility(msg)
    speaker = optional_mapping(msg, "speaker")
    message_id = opt_text(msg.get("_id") or msg.get("id"), "payload._id")
    records = []
    for i, item in enumerate(rolls):
        where = f"payload.rolls[{i}]"
        roll = embedded_json(item, where)
        records.append(
            _roll(
                roll,
                ctx,
                where,
                raw=dict(msg) if i == 0 else {"roll": i, "message_id": message_id},
                visibility=visibility,
                label=opt_text(msg.get("flavor"), "payload.flavor"),
                character_name=opt_text(speaker.get("alias"), "payload.speaker.alias"),
                source_message_id=f"{message_id}#{i}" if message_id else None,
            )
        )
    return records


def _visibility(msg: Mapping[str, Any]) -> Visibility:
    if flag(msg.get("blind"), "payload.blind"):
        return Visibility.GM
    whisper = msg.get("whisper") or []
    return Visibility.PRIVATE if array(whisper, "payload.whisper") else Visibility.PUBLIC


def _roll(payload: object, ctx: RollContext, where: str, *, raw: Any, **extra: Any) -> RollRecord:
    roll = mapping(payload, where)
    if "terms" not in roll:
        raise FormatError("is not a serialised Roll (no 'terms')", field=where)
    total = roll.get("total", roll.get("_total"))
    if total is None:
        raise FormatError("is an unevaluated Roll (no 'total')", field=f"{where}.total")
    groups = tuple(_walk(array(roll.get("terms"), f"{where}.terms"), f"{where}.terms", 0))
    return record(
        ctx,
        Platform.FOUNDRY,
        formula=text(roll.get("formula") or roll.get("_formula"), f"{where}.formula"),
        total=number(total, f"{where}.total"),
        groups=groups,
        raw=raw,
        **extra,
    )


def _walk(terms: list[Any], where: str, depth: int) -> list[DiceGroup]:
    if depth > MAX_DEPTH:
        raise FormatError(f"nests more than {MAX_DEPTH} levels", field=where)
    groups: list[DiceGroup] = []
    for i, item in enumerate(terms):
        term = mapping(item, f"{where}[{i}]")
        cls = term.get("class")
        if cls in DICE_CLASSES:
            groups.append(_dice(term, f"{where}[{i}]"))
        else:
            groups += _nested(term, f"{where}[{i}]", depth)
    return groups


def _nested(term: Mapping[str, Any], where: str, depth: int) -> list[DiceGroup]:
    """Walk a PoolTerm's `rolls` or a ParentheticalTerm's `roll`.

    A pool's `results` hold one entry per sub-roll; a sub-roll `kh`/`dl` left
    out is inactive there, and its dice are recorded as not kept, so a dropped
    natural 1 is no fumble.
    """
    groups: list[DiceGroup] = []
    pool = optional_list(term, "results")
    for key in ("rolls", "roll"):
        nested = term.get(key)
        for j, sub in enumerate(nested if isinstance(nested, list) else [nested] if nested else []):
            inner = mapping(embedded_json(sub, f"{where}.{key}"), f"{where}.{key}[{j}]")
            inner_terms = array(inner.get("terms", []), f"{where}.{key}[{j}].terms")
            found = _walk(inner_terms, f"{where}.{key}[{j}].terms", depth + 1)
            if key == "rolls" and sub_roll_dropped(pool, j, discarded=("discarded",)):
                found = [dropped(g) for g in found]
            groups += found
    return groups


def _die(item: object, sides: int | str, where: str, coin: bool) -> Die:
    res = mapping(item, where)
    return Die(
        sides,
        face(integer(res.get("result"), f"{where}.result"), sides, f"{where}.result", coin=coin),
        kept=res.get("active", True) is not False and not res.get("discarded"),
        exploded=bool(res.get("exploded")),
        rerolled=bool(res.get("rerolled")),
    )


def _dice(term: Mapping[str, Any], where: str) -> DiceGroup:
    cls = term.get("class")
    sides = _FIXED_SIDES.get(str(cls)) or integer(term.get("faces"), f"{where}.faces")
    results = array(term.get("results"), f"{where}.results")
    count = dice_count(
        integer(term.get("number", 1), f"{where}.number"), len(results), f"{where}.number"
    )
    mods = "".join(m for m in optional_list(term, "modifiers") if isinstance(m, str))
    dice = tuple(
        _die(item, sides, f"{where}.results[{j}]", cls == "Coin") for j, item in enumerate(results)
    )
    flavor = opt_text(optional_mapping(term, "options").get("flavor"), f"{where}.options.flavor")
    subtotal = sum(d.value for d in dice if d.kept)
    notation = f"{count}d{'c' if cls == 'Coin' else sides}{mods}"
    return DiceGroup(notation, sides, dice, flavor, subtotal)
