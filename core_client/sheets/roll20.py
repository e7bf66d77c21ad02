"""A Roll20 character export (Character Vault, `schema_version` 2) on the 5e OGL sheet.

The export is a flat list of `attribs`, each `{name, current, max, id}`; the
OGL sheet ("D&D 5E by Roll20") stores its computed totals in them
(`strength_mod`, `dexterity_save_bonus`, `stealth_bonus`, `pb`) and its
lists as repeating sections, one attribute per field:
`repeating_attack_<row>_atkname`, `repeating_spell-1_<row>_spellname`.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from core_client.contract.summary import CharacterSummary
from core_client.sheets.common import (
    ABILITY_NAMES,
    SKILLS,
    bonus_ok,
    finish,
    items,
    mapping,
    modifier,
    number,
    text,
)

# A row id is "-" and 19 characters that may hold "_" (the field names never start
# with a row-id-like part, so the 19-character form is tried first).
_REPEATING = re.compile(
    r"^repeating_(?P<section>[a-z0-9-]+)_(?P<row>-[a-z0-9_-]{19}|-[^_]+)_(?P<field>[a-z].*)$"
)


def summarize(export: Mapping[str, Any], name: str) -> CharacterSummary | None:
    """Return the summary of a Roll20 OGL 5e character export."""
    inner = mapping(export.get("character")) or export
    attribs = {str(a.get("name", "")).lower(): a for a in items(inner.get("attribs"))}
    rows = _rows(attribs)

    def cur(key: str) -> int | None:
        return number(mapping(attribs.get(key)).get("current"))

    hp = mapping(attribs.get("hp"))
    level = cur("level") or cur("base_level")
    fields: dict[str, Any] = {
        "name": name,
        "classes": text(mapping(attribs.get("class_display")).get("current")),
        "level": level,
        "hp": number(hp.get("current")),
        "hp_max": number(hp.get("max")),
        "hp_temp": cur("hp_temp") or None,
        "ac": cur("ac"),
        "proficiency": cur("pb"),
        "initiative": cur("initiative_bonus"),
        "speed": cur("speed"),
        "abilities": _abilities(cur),
        "saves": {
            short: v
            for short, long in ABILITY_NAMES.items()
            if (v := bonus_ok(cur(f"{long}_save_bonus"))) is not None
        },
        "skills": {
            skill: v for skill in SKILLS if (v := bonus_ok(cur(f"{skill}_bonus"))) is not None
        },
        "attacks": _attacks(rows.get("attack", {})),
        "spells": _spells(rows),
        "spell_attack": cur("spell_attack_bonus"),
        "spell_dc": cur("spell_save_dc") or None,
    }
    return finish(fields)


def _abilities(cur: Any) -> dict[str, dict[str, int]]:
    found = {}
    for short, long in ABILITY_NAMES.items():
        score = cur(long)
        if score is None or not 0 <= score <= 100:
            continue
        mod = bonus_ok(cur(f"{long}_mod"))
        found[short] = {"score": score, "mod": modifier(score) if mod is None else mod}
    return found


def _rows(attribs: Mapping[str, Mapping[str, Any]]) -> dict[str, dict[str, dict[str, Any]]]:
    """Return repeating sections as {section: {row id: {field: current}}}, in sheet order."""
    sections: dict[str, dict[str, dict[str, Any]]] = {}
    for key, attrib in attribs.items():
        match = _REPEATING.match(key)
        if match:
            row = sections.setdefault(match["section"], {}).setdefault(match["row"], {})
            row[match["field"]] = attrib.get("current")
    return sections


def _attacks(rows: Mapping[str, Mapping[str, Any]]) -> list[dict[str, Any]]:
    attacks = []
    for row in rows.values():
        name = text(row.get("atkname"))
        if name:
            damage = text(row.get("atkdmgtype")) or text(
                f"{text(row.get('dmgbase'), 40) or ''} {text(row.get('dmgtype'), 30) or ''}"
            )
            attacks.append(
                {"name": name, "bonus": bonus_ok(number(row.get("atkbonus"))), "damage": damage}
            )
    return attacks


def _spells(sections: Mapping[str, Mapping[str, Mapping[str, Any]]]) -> list[dict[str, Any]]:
    spells = []
    for section, rows in sections.items():
        if not section.startswith("spell-"):
            continue
        suffix = section.removeprefix("spell-")
        level = 0 if suffix == "cantrip" else number(suffix)
        for row in rows.values():
            name = text(row.get("spellname"))
            if name and level in range(10):
                spells.append({"name": name, "level": level})
    return sorted(spells, key=lambda s: (s["level"], s["name"]))
