"""A Foundry VTT dnd5e actor export (`Export Data`, dnd5e 3.x to 5.x) as a summary.

An export is the actor's *source* data: Foundry derives AC, max HP, save and
skill totals at runtime, so the JSON holds the inputs (ability scores,
proficiency flags, class levels and their hit-point advancement, equipped
armour) and this module derives the totals the way dnd5e's defaults do.
Bonuses written as formulas (`"@prof"`, `"1d4"`) are not evaluated.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from core_client.contract.summary import ABILITY_KEYS, CharacterSummary
from core_client.sheets.common import (
    SKILLS,
    bonus_ok,
    finish,
    items,
    key_of,
    mapping,
    modifier,
    number,
    proficiency_for,
    signed,
    text,
)

_SKILL_CODES = {
    "acr": "acrobatics",
    "ani": "animal_handling",
    "arc": "arcana",
    "ath": "athletics",
    "dec": "deception",
    "his": "history",
    "ins": "insight",
    "itm": "intimidation",
    "inv": "investigation",
    "med": "medicine",
    "nat": "nature",
    "prc": "perception",
    "prf": "performance",
    "per": "persuasion",
    "rel": "religion",
    "slt": "sleight_of_hand",
    "ste": "stealth",
    "sur": "survival",
}
_ARMOR_DEX_CAP = {"light": None, "medium": 2, "heavy": 0}
_UNARMORED = {"unarmoredMonk": "wis", "unarmoredBarb": "con"}


def summarize(actor: Mapping[str, Any], name: str) -> CharacterSummary | None:
    """Return the summary of a dnd5e actor."""
    system = mapping(actor.get("system", actor.get("data")))
    attributes = mapping(system.get("attributes"))
    owned = items(actor.get("items"))
    read = {k: number(mapping(mapping(system.get("abilities")).get(k)).get("value"))
            for k in ABILITY_KEYS}  # fmt: skip
    scores = {k: v for k, v in read.items() if v is not None and 0 <= v <= 100}
    mods = {k: modifier(v) for k, v in scores.items()}
    classes = [i for i in owned if i.get("type") == "class"]
    level = sum(number(mapping(c.get("system")).get("levels")) or 0 for c in classes) or None
    prof = proficiency_for(level)
    hp = mapping(attributes.get("hp"))
    casting = text(attributes.get("spellcasting"), 3)
    fields: dict[str, Any] = {
        "name": name,
        "classes": _classes(classes),
        "level": level,
        "hp": number(hp.get("value")),
        "hp_max": number(hp.get("max")) or _max_hp(classes, mods.get("con")),
        "hp_temp": number(hp.get("temp")) or None,
        "ac": _armor_class(mapping(attributes.get("ac")), owned, mods),
        "proficiency": prof,
        "initiative": mods.get("dex"),
        "speed": number(mapping(attributes.get("movement")).get("walk")),
        "abilities": {
            k: {"score": v, "mod": modifier(v)}
            for k, v in scores.items()
            if v is not None and 0 <= v <= 100
        },
        "saves": _saves(mapping(system.get("abilities")), mods, prof or 0),
        "skills": _skills(mapping(system.get("skills")), mods, prof or 0),
        "attacks": [a for i in owned if i.get("type") == "weapon" if (a := _attack(i, mods, prof))],
        "spells": _spells(owned),
        "conditions": _conditions(actor, attributes),
    }
    if casting in mods and prof is not None:
        fields["spell_attack"] = prof + mods[casting]
        fields["spell_dc"] = 8 + prof + mods[casting]
    return finish(fields)


def _classes(classes: list[Mapping[str, Any]]) -> str | None:
    parts = [
        f"{text(c.get('name'), 40)} {number(mapping(c.get('system')).get('levels')) or 1}"
        for c in classes
        if text(c.get("name"), 40)
    ]
    return " / ".join(parts) or None


def _max_hp(classes: list[Mapping[str, Any]], con: int | None) -> int | None:
    """Return max HP from each class's hit-point advancement, as dnd5e computes it."""
    total, levels = 0, 0
    for cls in classes:
        system = mapping(cls.get("system"))
        die = number(
            str(
                system.get("hitDice") or mapping(system.get("hd")).get("denomination") or ""
            ).lstrip("d")
        )
        for advancement in items(system.get("advancement")):
            if advancement.get("type") != "HitPoints" or die is None:
                continue
            for taken in mapping(advancement.get("value")).values():
                rolled = {"max": die, "avg": die // 2 + 1}.get(str(taken), number(taken))
                total, levels = total + (rolled or 0), levels + 1
    if not levels:
        return None
    return total + (con or 0) * levels


def _armor_class(
    ac: Mapping[str, Any], owned: list[Mapping[str, Any]], mods: dict[str, int]
) -> int | None:
    calc, dex = ac.get("calc") or "default", mods.get("dex", 0)
    if number(ac.get("value")) is not None:  # older exports, and modules, store the total
        return number(ac.get("value"))
    if calc in ("flat", "natural"):
        return number(ac.get("flat"))
    if calc == "mage":
        return 13 + dex
    if calc in _UNARMORED:
        return 10 + dex + mods.get(_UNARMORED[calc], 0)
    worn = [i for i in owned if i.get("type") == "equipment" and _equipped(i)]
    base = 10 + dex
    shield = 0
    for item in worn:
        system = mapping(item.get("system"))
        kind = mapping(system.get("type")).get("value", mapping(system.get("armor")).get("type"))
        value = number(mapping(system.get("armor")).get("value")) or 0
        if kind == "shield":
            shield = max(shield, value)
        elif kind in _ARMOR_DEX_CAP:
            cap = number(mapping(system.get("armor")).get("dex"))
            cap = _ARMOR_DEX_CAP[kind] if cap is None else cap
            base = value + (dex if cap is None else min(dex, cap))
    return base + shield


def _equipped(item: Mapping[str, Any]) -> bool:
    return bool(mapping(item.get("system")).get("equipped"))


def _saves(abilities: Mapping[str, Any], mods: dict[str, int], prof: int) -> dict[str, int]:
    saves = {}
    for key, mod in mods.items():
        proficient = number(mapping(abilities.get(key)).get("proficient")) or 0
        saves[key] = mod + prof * min(max(proficient, 0), 1)
    return saves


def _skills(skills: Mapping[str, Any], mods: dict[str, int], prof: int) -> dict[str, int]:
    found = {}
    for code, name in _SKILL_CODES.items():
        skill = mapping(skills.get(code))
        ability = skill.get("ability") if skill.get("ability") in mods else SKILLS[name]
        if ability not in mods:
            continue
        multiplier = skill.get("value", skill.get("proficient", 0))
        factor = multiplier if isinstance(multiplier, int | float) and 0 <= multiplier <= 2 else 0
        found[name] = mods[ability] + int(prof * factor)
    return found


def _attack(
    item: Mapping[str, Any], mods: dict[str, int], prof: int | None
) -> dict[str, Any] | None:
    name = text(item.get("name"))
    if name is None:
        return None
    system = mapping(item.get("system"))
    kind = str(mapping(system.get("type")).get("value", system.get("weaponType", "")))
    finesse = "fin" in (system.get("properties") or [])
    ranged = kind.endswith("R")
    ability = "dex" if ranged else "str"
    if finesse:
        ability = max(("str", "dex"), key=lambda k: mods.get(k, -99))
    if system.get("ability") in mods:  # the item names its ability (dnd5e 3.x)
        ability = str(system["ability"])
    mod = mods.get(ability, 0)
    magic = number(system.get("magicalBonus")) or 0
    proficient = system.get("proficient") in (None, 1, True)
    bonus = mod + magic + (prof or 0 if proficient else 0)
    return {"name": name, "bonus": bonus_ok(bonus), "damage": _damage(system, mod + magic)}


def _damage(system: Mapping[str, Any], mod: int) -> str | None:
    damage = mapping(system.get("damage"))
    base = mapping(damage.get("base"))
    if number(base.get("denomination")):  # dnd5e 4.x and later
        dice = f"{number(base.get('number')) or 1}d{number(base.get('denomination'))}"
        types = " ".join(str(t) for t in base.get("types") or [] if isinstance(t, str))
        return text(f"{dice}{signed(mod) if mod else ''} {types}")
    parts = damage.get("parts")  # dnd5e 3.x: [["1d6 + @mod", "bludgeoning"]]
    if isinstance(parts, list) and parts and isinstance(parts[0], list) and parts[0]:
        formula = str(parts[0][0]).replace("@mod", str(mod)).replace(" ", "").replace("+-", "-")
        kind = str(parts[0][1]) if len(parts[0]) > 1 else ""
        return text(f"{formula} {kind}")
    return None


def _spells(owned: list[Mapping[str, Any]]) -> list[dict[str, Any]]:
    spells = []
    for item in owned:
        name = text(item.get("name"))
        if item.get("type") == "spell" and name is not None:
            level = number(mapping(item.get("system")).get("level"))
            spells.append({"name": name, "level": level if level in range(10) else 0})
    return sorted(spells, key=lambda s: (s["level"], s["name"]))


def _conditions(actor: Mapping[str, Any], attributes: Mapping[str, Any]) -> list[str]:
    found = []
    for effect in items(actor.get("effects")):
        if effect.get("disabled"):
            continue
        statuses = [key_of(s) for s in effect.get("statuses") or [] if isinstance(s, str)]
        found += [s for s in statuses if s]
    exhaustion = number(attributes.get("exhaustion"))
    if exhaustion:
        found.append(f"exhaustion {exhaustion}")
    return found
