"""D&D Beyond rolls: the game-log `dice/roll/fulfilled` message.

The message is `{"id", "eventType": "dice/roll/fulfilled", "data": {"action",
"rolls": [...], "context": {"name"}, "rollId"}}`. Each roll carries
`diceNotation.set[]` (`{count, dieType: "d20", dice: [{dieType, dieValue}],
operation}`), `diceNotation.constant`, `rollType` ("to hit", "damage"...),
`rollKind` ("", "advantage", "disadvantage", "critical hit") and `result`
(`{values, total, constant, text}`).

With advantage (disadvantage) only the highest (lowest) d20 counts; the other
one stays in the record as dropped. A set `operation` of 1 keeps the lowest
die and 2 the highest (0, the usual, sums). D&D Beyond's own `result.total` is
the record's total. `messageScope: "userId"` marks a roll sent to one user
(self or the DM), which the bridge treats as private.
"""

from __future__ import annotations

from typing import Any

from bridge.errors import FormatError
from bridge.formats.common import (
    RollContext,
    array,
    dice_count,
    face,
    integer,
    mapping,
    number,
    opt_text,
    optional_mapping,
    record,
)
from core_client import DiceGroup, Die, Platform, RollRecord, Visibility

EVENT_TYPE = "dice/roll/fulfilled"
_KEEP_BY_KIND = {"advantage": max, "disadvantage": min}
_KEEP_BY_OPERATION = {1: min, 2: max}


def from_game_log(payload: object, ctx: RollContext) -> list[RollRecord]:
    """Convert a `dice/roll/fulfilled` game-log message to one record per roll."""
    msg = mapping(payload, "payload")
    if msg.get("eventType") != EVENT_TYPE:
        raise FormatError(f"must be '{EVENT_TYPE}'", field="payload.eventType")
    data = mapping(msg.get("data"), "payload.data")
    rolls = array(data.get("rolls"), "payload.data.rolls", allow_empty=False)
    context = optional_mapping(data, "context")
    private = msg.get("messageScope") == "userId"
    message_id = opt_text(msg.get("id") or data.get("rollId"), "payload.id")
    action = opt_text(data.get("action"), "payload.data.action")
    return [
        _roll(
            roll,
            ctx,
            f"payload.data.rolls[{i}]",
            raw=dict(msg) if i == 0 else {"roll": i, "message_id": message_id},
            source_message_id=f"{message_id}#{i}" if message_id else None,
            character_name=opt_text(context.get("name"), "payload.data.context.name"),
            visibility=Visibility.PRIVATE if private else None,
            action=action,
        )
        for i, roll in enumerate(rolls)
    ]


def _roll(
    item: object, ctx: RollContext, where: str, *, action: str | None, **extra: Any
) -> RollRecord:
    roll = mapping(item, where)
    notation = mapping(roll.get("diceNotation"), f"{where}.diceNotation")
    result = mapping(roll.get("result"), f"{where}.result")
    kind = str(roll.get("rollKind") or "")
    sets = array(notation.get("set"), f"{where}.diceNotation.set")
    groups = tuple(_set(s, kind, f"{where}.diceNotation.set[{j}]") for j, s in enumerate(sets))
    constant = integer(notation.get("constant", 0) or 0, f"{where}.diceNotation.constant")
    roll_type = opt_text(roll.get("rollType"), f"{where}.rollType")
    label = " ".join(p for p in (action, roll_type, kind or None) if p) or None
    return record(
        ctx,
        Platform.DNDBEYOND,
        formula=str(roll.get("diceNotationStr") or _formula(groups, constant)),
        total=number(result.get("total"), f"{where}.result.total"),
        groups=groups,
        label=label,
        **extra,
    )


def _set(item: object, kind: str, where: str) -> DiceGroup:
    entry = mapping(item, where)
    sides = _sides(entry.get("dieType"), f"{where}.dieType")
    values = [
        face(
            integer(
                mapping(d, f"{where}.dice[{k}]").get("dieValue"), f"{where}.dice[{k}].dieValue"
            ),
            sides,
            f"{where}.dice[{k}].dieValue",
        )
        for k, d in enumerate(array(entry.get("dice"), f"{where}.dice"))
    ]
    pick = _KEEP_BY_KIND.get(kind) if sides == 20 and len(values) > 1 else None
    pick = pick or _KEEP_BY_OPERATION.get(
        integer(entry.get("operation", 0) or 0, f"{where}.operation")
    )
    kept_index = values.index(pick(values)) if pick and values else None
    dice = tuple(
        Die(sides, v, kept=kept_index is None or k == kept_index) for k, v in enumerate(values)
    )
    count = dice_count(
        integer(entry.get("count", len(values)), f"{where}.count"), len(values), f"{where}.count"
    )
    suffix = "kh1" if pick is max else "kl1" if pick is min else ""
    subtotal = sum(d.value for d in dice if d.kept)
    return DiceGroup(f"{count}d{sides}{suffix}", sides, dice, subtotal=subtotal)


def _sides(value: object, where: str) -> int:
    if not isinstance(value, str) or not value.lower().startswith("d"):
        raise FormatError("must be a die type such as 'd20'", field=where)
    return integer(value[1:], where)


def _formula(groups: tuple[DiceGroup, ...], constant: int) -> str:
    terms = [g.notation for g in groups]
    if constant:
        terms.append(str(constant))
    return "+".join(terms).replace("+-", "-") or "0"
