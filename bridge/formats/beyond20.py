"""Beyond20 rolls: its `rendered-roll` and `roll` requests.

A `rendered-roll` carries results Beyond20 already rolled: `attack_rolls`
(several when rolled with advantage; the unused ones have `discarded: true`)
and `damage_rolls` (`[label, roll, flags]` triples). Each roll is
`{"formula", "total", "parts": [dice | "+" | number]}`, and a dice part is
`{"amount", "faces", "formula", "rolls": [{"roll": n, "discarded": bool}]}`.
The attack becomes one record (every attack die, discarded ones dropped, the
kept roll's total); each damage roll becomes its own record.

A `roll` request carries no results: it asks the VTT to roll. The bridge
answers it with its own engine, so `roll_request` only extracts what to roll.
`whisper` 1 (Beyond20's "whisper to GM") makes the records private. One
request asks for at most `MAX_FORMULAS` expressions, each at most
`MAX_FORMULA_LENGTH` characters, since the bridge does the rolling.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
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
    optional_list,
    optional_mapping,
    record,
    text,
)
from core_client import DiceGroup, Die, Platform, RollRecord, Visibility

WHISPER_TO_GM = 1
# What one `roll` request may ask the bridge's engine to roll.
MAX_FORMULAS = 10
MAX_FORMULA_LENGTH = 1000
# Beyond20's RollType values that roll two d20s and keep one.
_ADVANTAGE = {3: "2d20kh1", 4: "2d20kl1", 6: "3d20kh1", 7: "3d20kl1"}
_MODIFIER_KEYS = ("to-hit", "modifier", "initiative")


@dataclass(frozen=True, slots=True)
class RollRequest:
    """What a Beyond20 `roll` request asks to roll, in our dice notation."""

    formulas: tuple[tuple[str, str], ...]  # (label, expression)
    character_name: str | None
    visibility: Visibility


def from_rendered_roll(payload: object, ctx: RollContext) -> list[RollRecord]:
    """Convert a `rendered-roll` request to an attack record and damage records."""
    req = mapping(payload, "payload")
    if req.get("action") != "rendered-roll":
        raise FormatError(
            "must be 'rendered-roll' (a 'roll' request is rolled by the bridge)",
            field="payload.action",
        )
    extra = {
        "character_name": _character(req),
        "visibility": _visibility(req),
        "source_message_id": opt_text(req.get("id") or req.get("request_id"), "payload.id"),
    }
    title = opt_text(req.get("title"), "payload.title")
    records = []
    attacks = array(req.get("attack_rolls") or [], "payload.attack_rolls")
    if attacks:
        records.append(_attack(attacks, ctx, title, raw=dict(req), **extra))
    for i, item in enumerate(array(req.get("damage_rolls") or [], "payload.damage_rolls")):
        records.append(_damage(item, i, ctx, title, raw=None if records else dict(req), **extra))
    if not records:
        raise FormatError("has neither attack_rolls nor damage_rolls", field="payload")
    return records


def roll_request(payload: object) -> RollRequest:
    """Return the expressions a Beyond20 `roll` request asks for."""
    req = mapping(payload, "payload")
    if req.get("action") != "roll":
        raise FormatError("must be 'roll'", field="payload.action")
    name = str(
        req.get("name") or req.get("skill") or req.get("ability") or req.get("type") or "roll"
    )
    d20 = _ADVANTAGE.get(integer(req.get("advantage", 0) or 0, "payload.advantage"), "1d20")
    formulas: list[tuple[str, str]] = []
    if isinstance(req.get("roll"), str):
        formulas.append((name, _formula(req.get("roll"), "payload.roll")))
    for key in _MODIFIER_KEYS:
        if req.get(key) not in (None, ""):
            formulas.append((name, d20 + _signed(req.get(key), f"payload.{key}")))
            break
    damages = array(req.get("damages") or [], "payload.damages")
    types = optional_list(req, "damage-types")
    for i, damage in enumerate(damages):
        if len(formulas) >= MAX_FORMULAS:
            raise FormatError(
                f"is one roll too many; a request may ask for at most {MAX_FORMULAS}",
                field=f"payload.damages[{i}]",
                code="too_many_rolls",
            )
        label = f"{name} {types[i]}" if i < len(types) else f"{name} damage"
        formulas.append((label, _formula(damage, f"payload.damages[{i}]")))
    if not formulas:
        raise FormatError(
            "asks for nothing to roll (no roll, modifier or damages)", field="payload"
        )
    return RollRequest(tuple(formulas), _character(req), _visibility(req))


def _formula(value: object, where: str) -> str:
    formula = text(value, where)
    if len(formula) > MAX_FORMULA_LENGTH:
        raise FormatError(f"must be at most {MAX_FORMULA_LENGTH} characters", field=where)
    return formula


def _signed(value: object, where: str) -> str:
    modifier = str(integer(str(value).replace("+", "").strip(), where))
    return modifier if modifier.startswith("-") else f"+{modifier}"


def _character(req: Mapping[str, Any]) -> str | None:
    character = req.get("character")
    if isinstance(character, Mapping):
        return opt_text(character.get("name"), "payload.character.name")
    return opt_text(character, "payload.character")


def _visibility(req: Mapping[str, Any]) -> Visibility:
    inner = optional_mapping(req, "request")
    whisper = req.get("whisper", inner.get("whisper", 0))
    return Visibility.PRIVATE if whisper == WHISPER_TO_GM else Visibility.PUBLIC


def _attack(attacks: list[Any], ctx: RollContext, title: str | None, **extra: Any) -> RollRecord:
    groups: list[DiceGroup] = []
    kept_totals = []
    formula = ""
    for i, item in enumerate(attacks):
        roll = mapping(item, f"payload.attack_rolls[{i}]")
        discarded = bool(roll.get("discarded"))
        groups += _parts(roll, f"payload.attack_rolls[{i}]", discarded=discarded)
        formula = formula or text(roll.get("formula"), f"payload.attack_rolls[{i}].formula")
        if not discarded:
            kept_totals.append(number(roll.get("total"), f"payload.attack_rolls[{i}].total"))
    if not kept_totals:
        raise FormatError("every attack roll is discarded", field="payload.attack_rolls")
    crit = any(
        isinstance(a, Mapping) and a.get("critical-success") and not a.get("discarded")
        for a in attacks
    )
    fumble = any(
        isinstance(a, Mapping) and a.get("critical-failure") and not a.get("discarded")
        for a in attacks
    )
    return record(
        ctx,
        Platform.BEYOND20,
        formula=formula,
        total=kept_totals[0],
        groups=tuple(groups),
        label=" ".join(p for p in (title, "to hit") if p),
        crit=crit or None,
        fumble=fumble or None,
        **extra,
    )


def _damage(item: object, i: int, ctx: RollContext, title: str | None, **extra: Any) -> RollRecord:
    where = f"payload.damage_rolls[{i}]"
    triple = array(item, where, allow_empty=False)
    label = opt_text(triple[0], f"{where}[0]") if len(triple) > 1 else None
    roll = mapping(triple[1] if len(triple) > 1 else triple[0], f"{where}[1]")
    source = extra.pop("source_message_id", None)
    return record(
        ctx,
        Platform.BEYOND20,
        formula=text(roll.get("formula"), f"{where}[1].formula"),
        total=number(roll.get("total"), f"{where}[1].total"),
        groups=tuple(_parts(roll, f"{where}[1]", discarded=False)),
        label=" ".join(p for p in (title, label) if p) or None,
        source_message_id=f"{source}#damage{i}" if source else None,
        **extra,
    )


def _parts(roll: Mapping[str, Any], where: str, *, discarded: bool) -> list[DiceGroup]:
    groups = []
    for j, part in enumerate(array(roll.get("parts") or [], f"{where}.parts")):
        if not isinstance(part, Mapping) or "rolls" not in part:
            continue  # operators and constants
        sides = integer(part.get("faces"), f"{where}.parts[{j}].faces")
        dice = []
        for k, r in enumerate(array(part.get("rolls"), f"{where}.parts[{j}].rolls")):
            die = mapping(r, f"{where}.parts[{j}].rolls[{k}]")
            at = f"{where}.parts[{j}].rolls[{k}].roll"
            value = face(integer(die.get("roll"), at), sides, at)
            dice.append(Die(sides, value, kept=not (discarded or die.get("discarded"))))
        amount = part.get("amount")
        if amount is not None:
            at = f"{where}.parts[{j}].amount"
            dice_count(integer(amount, at), len(dice), at)
        notation = str(part.get("formula") or f"{part.get('amount', len(dice))}d{sides}")
        subtotal = sum(d.value for d in dice if d.kept)
        groups.append(DiceGroup(notation, sides, tuple(dice), subtotal=subtotal))
    return groups
