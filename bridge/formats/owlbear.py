"""Owlbear Rodeo rolls: the Dice extension's roll and its values.

The extension shares `{"roll": {"dice": [...], "bonus", "hidden"}, "values":
{die id: face}}`. A die is `{"id", "type": "D4" | "D6" | "D8" | "D10" | "D12"
| "D20" | "D100"}`; a nested set `{"dice": [...], "combination": "HIGHEST" |
"LOWEST" | "SUM" | "NONE"}` is how it rolls advantage.

Percentile rules, as the extension reads its dice: a D100 shows the tens,
00-90; a D10 shows 0-9. In a set, each D100 pairs with a D10 in order and the
pair reads tens + ones, where 00 + 0 is 100. A D10 on its own reads 0 as 10,
and a D100 on its own reads 00 as 100. A pair becomes one d100 die in the
record; the faces stay in `raw`. The payload's own `total`, when present, is
kept; otherwise the bridge computes it by the same rules.

The extension keeps a roll in the roller's player metadata, under its own
keys `rodeo.owlbear.dice/roll` and `rodeo.owlbear.dice/rollValues`; a sender
may post that metadata as it is, or the whole player (`{"id", "name",
"metadata"}`), instead of renaming them to `roll` and `values`. A value that
is still `null` is a die still rolling: the roll is refused until it lands.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from typing import Any

from bridge.errors import FormatError
from bridge.formats.common import (
    RollContext,
    array,
    dropped,
    integer,
    mapping,
    number,
    opt_text,
    optional_mapping,
    record,
)
from core_client import DiceGroup, Die, Platform, RollRecord, Visibility

DIE_TYPES = {"D4": 4, "D6": 6, "D8": 8, "D10": 10, "D12": 12, "D20": 20, "D100": 100}
COMBINATIONS = {"HIGHEST", "LOWEST", "SUM", "NONE"}
MAX_DEPTH = 10
ROLL_KEY = "rodeo.owlbear.dice/roll"
VALUES_KEY = "rodeo.owlbear.dice/rollValues"


def from_dice_roll(payload: object, ctx: RollContext) -> list[RollRecord]:
    """Convert a Dice extension roll and its values to one record."""
    msg = mapping(payload, "payload")
    roll, values = _roll_and_values(msg)
    items = _set(roll, values, "payload.roll", 0)
    value, combined = _combine(items, roll.get("combination"), "payload.roll.combination")
    bonus = integer(roll.get("bonus", 0) or 0, "payload.roll.bonus")
    computed = value + bonus
    groups = tuple(combined)
    total = number(msg["total"], "payload.total") if msg.get("total") is not None else computed
    player = optional_mapping(msg, "player") or (msg if "metadata" in msg else {})
    hidden = bool(roll.get("hidden"))
    return [
        record(
            ctx,
            Platform.OWLBEAR,
            formula=_formula(groups, bonus),
            total=total,
            groups=groups,
            raw=dict(msg),
            source_message_id=_source_id(msg, values),
            character_name=opt_text(player.get("name"), "payload.player.name"),
            # The roller still sees a hidden roll in their own tray: private.
            visibility=Visibility.PRIVATE if hidden else None,
        )
    ]


def _roll_and_values(msg: Mapping[str, Any]) -> tuple[Mapping[str, Any], Mapping[str, Any]]:
    """Return the roll and its values, under our names or the extension's own keys."""
    if "roll" in msg:
        roll = mapping(msg.get("roll"), "payload.roll")
        return roll, mapping(msg.get("values"), "payload.values")
    where = "payload.metadata" if "metadata" in msg else "payload"
    meta = mapping(msg.get("metadata"), where) if "metadata" in msg else msg
    roll = mapping(meta.get(ROLL_KEY), f"{where}.{ROLL_KEY}")
    values = mapping(meta.get(VALUES_KEY), f"{where}.{VALUES_KEY}")
    for die_id, value in values.items():
        if value is None:
            raise FormatError(f"die {die_id!r} is still rolling", field=f"{where}.{VALUES_KEY}")
    return roll, values


def _source_id(msg: Mapping[str, Any], values: Mapping[str, Any]) -> str | None:
    """Return the roll's id: ours, or, for the extension's metadata, one from its dice.

    A player's `id` names the player, not the roll, so it cannot be used to
    drop repeats; the die ids are new for every roll, and the same for every
    extension in the room that posts it.
    """
    if "roll" in msg:
        return opt_text(msg.get("id"), "payload.id")
    digest = hashlib.sha256("\n".join(sorted(values)).encode()).hexdigest()[:32]
    return f"obr-dice-{digest}"


def _set(
    dice_set: Mapping[str, Any], values: Mapping[str, Any], where: str, depth: int
) -> list[tuple[int, list[DiceGroup]]]:
    """Return each item of a set as (its value, its groups); nested sets are combined."""
    if depth > MAX_DEPTH:
        raise FormatError(f"nests more than {MAX_DEPTH} levels", field=where)
    entries = array(dice_set.get("dice"), f"{where}.dice", allow_empty=False)
    faces: list[tuple[str, int, int]] = []  # (type, face, index) of plain dice
    items: list[tuple[int, list[DiceGroup]]] = []
    for i, entry in enumerate(entries):
        item = mapping(entry, f"{where}.dice[{i}]")
        if "dice" in item:
            inner = _set(item, values, f"{where}.dice[{i}]", depth + 1)
            items.append(_combine(inner, item.get("combination"), f"{where}.dice[{i}].combination"))
        else:
            kind = str(item.get("type"))
            if kind not in DIE_TYPES:
                raise FormatError(
                    f"must be one of {', '.join(DIE_TYPES)}", field=f"{where}.dice[{i}].type"
                )
            die_id = str(item.get("id"))
            if die_id not in values:
                raise FormatError(f"has no value for die {die_id!r}", field="payload.values")
            at = f"payload.values.{die_id}"
            faces.append((kind, _face(kind, integer(values[die_id], at), at), i))
    items += [
        (die.value, [DiceGroup(f"1d{die.sides}", die.sides, (die,), subtotal=die.value)])
        for die in _read(faces)
    ]
    return items


def _face(kind: str, value: int, where: str) -> int:
    """Return a face the die can show: D100 00-90 in tens, D10 0-9, the others 1-N."""
    shows = (
        range(0, 100, 10)
        if kind == "D100"
        else range(10)
        if kind == "D10"
        else range(1, DIE_TYPES[kind] + 1)
    )
    if value not in shows:
        raise FormatError(f"is {value}, which a {kind} cannot show", field=where)
    return value


def _read(faces: list[tuple[str, int, int]]) -> list[Die]:
    """Apply the D100/D10 pairing rules to a set's plain dice."""
    tens = [f for t, f, _ in faces if t == "D100"]
    ones = [f for t, f, _ in faces if t == "D10"]
    dice = [Die(DIE_TYPES[t], f) for t, f, _ in faces if t not in ("D100", "D10")]
    pairs = min(len(tens), len(ones))
    for ten, one in zip(tens[:pairs], ones[:pairs], strict=True):
        dice.append(Die(100, ten + one or 100))
    dice += [Die(100, ten or 100) for ten in tens[pairs:]]
    dice += [Die(10, one or 10) for one in ones[pairs:]]
    return dice


def _combine(
    items: list[tuple[int, list[DiceGroup]]], combination: object, where: str
) -> tuple[int, list[DiceGroup]]:
    """Fold a nested set into one item: keep the highest/lowest, or sum."""
    how = str(combination or "SUM")
    if how not in COMBINATIONS:
        raise FormatError(f"must be one of {', '.join(sorted(COMBINATIONS))}", field=where)
    if how in ("SUM", "NONE") or not items:
        return sum(v for v, _ in items), [g for _, gs in items for g in gs]
    pick = max if how == "HIGHEST" else min
    best = items.index(pick(items, key=lambda item: item[0]))
    groups = [g if k == best else dropped(g) for k, (_, gs) in enumerate(items) for g in gs]
    return items[best][0], groups


def _formula(groups: tuple[DiceGroup, ...], bonus: int) -> str:
    counts: dict[int | str, int] = {}
    for group in groups:
        counts[group.sides] = counts.get(group.sides, 0) + len(group.dice)
    terms = [f"{n}d{sides}" for sides, n in counts.items()]
    if bonus:
        terms.append(str(bonus))
    return "+".join(terms).replace("+-", "-") or "0"
