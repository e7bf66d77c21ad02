"""A DiceCloud v2 creature export (`creatures`, `creatureProperties`) as a summary.

DiceCloud computes everything and exports the results: each property is a
flat object (attribute, skill, class, action, spell, buff...) with its
`variableName` and computed `value`/`total`, linked to its parent by
`parent.id`. Saves are skills of `skillType` "save"; conditions are the
buffs applied to the creature; an action's damage is a child property.
Removed or inactive properties are skipped.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core_client.contract.summary import CharacterSummary
from core_client.sheets.common import (
    ABILITY_NAMES,
    SKILLS,
    bonus_ok,
    finish,
    items,
    key_of,
    mapping,
    modifier,
    number,
    text,
)

_SAVES = {f"{long}Save": short for short, long in ABILITY_NAMES.items()}


def summarize(export: Mapping[str, Any], name: str) -> CharacterSummary | None:
    """Return the summary of a DiceCloud v2 creature export."""
    live = [p for p in items(export.get("creatureProperties")) if _active(p)]
    attrs, skills = _named(live, "attribute"), _named(live, "skill")
    hp = mapping(attrs.get("hitPoints"))
    classes = [p for p in live if p.get("type") == "class"]
    level = sum(number(c.get("level")) or 0 for c in classes) or number(_value(attrs, "level"))
    lists = [p for p in live if p.get("type") == "spellList"]
    fields: dict[str, Any] = {
        "name": name,
        "classes": " / ".join(
            f"{text(c.get('name'), 40)} {number(c.get('level')) or 1}"
            for c in classes
            if text(c.get("name"), 40)
        )
        or None,
        "level": level,
        "hp": number(hp.get("value")),
        "hp_max": number(hp.get("total")),
        "hp_temp": number(_value(attrs, "tempHP")) or None,
        "ac": number(_value(attrs, "armor")),
        "proficiency": number(_value(attrs, "proficiencyBonus")),
        "initiative": number(_value(skills, "initiative")),
        "speed": number(_value(attrs, "speed")),
        "abilities": _abilities(attrs),
        "saves": {
            short: v
            for var, short in _SAVES.items()
            if (v := bonus_ok(number(_value(skills, var)))) is not None
        },
        "skills": _skills(skills),
        "attacks": _attacks(live),
        "spells": _spells(live),
        "conditions": [
            key_of(t) for p in live if p.get("type") == "buff" if (t := text(p.get("name"), 40))
        ],
    }
    if lists:
        fields["spell_dc"] = number(mapping(lists[0].get("dc")).get("value"))
        fields["spell_attack"] = number(mapping(lists[0].get("attackRollBonus")).get("value"))
    return finish(fields)


def _named(live: list[Mapping[str, Any]], kind: str) -> dict[str, Mapping[str, Any]]:
    """Return the properties of a type by their variable name."""
    return {
        p["variableName"]: p
        for p in live
        if p.get("type") == kind and isinstance(p.get("variableName"), str)
    }


def _skills(skills: Mapping[str, Mapping[str, Any]]) -> dict[str, int]:
    found = {}
    for var, prop in skills.items():
        value = bonus_ok(number(prop.get("value")))
        if key_of(var) in SKILLS and value is not None:
            found[key_of(var)] = value
    return found


def _active(prop: Mapping[str, Any]) -> bool:
    return not any(
        prop.get(k) for k in ("removed", "inactive", "deactivatedByAncestor", "deactivatedByToggle")
    )


def _value(found: Mapping[str, Mapping[str, Any]], name: str) -> Any:
    prop = mapping(found.get(name))
    return prop.get("value", prop.get("total"))


def _abilities(attrs: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, int]]:
    found = {}
    for short, long in ABILITY_NAMES.items():
        score = number(_value(attrs, long))
        if score is None or not 0 <= score <= 100:
            continue
        mod = bonus_ok(number(mapping(attrs.get(long)).get("modifier")))
        found[short] = {"score": score, "mod": modifier(score) if mod is None else mod}
    return found


def _attacks(live: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    damage: dict[str, str] = {}
    for prop in live:
        if prop.get("type") == "damage":
            amount = mapping(prop.get("amount"))
            formula = text(amount.get("value"), 60) or text(amount.get("calculation"), 60)
            parent = str(mapping(prop.get("parent")).get("id"))
            if formula and parent not in damage:
                damage[parent] = f"{formula} {text(prop.get('damageType'), 30) or ''}".strip()
    attacks = []
    for prop in live:
        roll = mapping(prop.get("attackRoll"))
        name = text(prop.get("name"))
        if prop.get("type") == "action" and roll and name:
            attack = {
                "name": name,
                "bonus": bonus_ok(number(roll.get("value"))),
                "damage": damage.get(str(prop.get("_id"))),
            }
            attacks.append(attack)
    return attacks


def _spells(live: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    spells = []
    for prop in live:
        name = text(prop.get("name"))
        if prop.get("type") == "spell" and name:
            level = number(prop.get("level"))
            spells.append({"name": name, "level": level if level in range(10) else 0})
    return sorted(spells, key=lambda s: (s["level"], s["name"]))
