"""A character as the AI reads it: its compact summary, never the raw sheet.

Core answers each character with the summary it derived from the sheet
(`core_client.contract.summary`); this module turns that into the few
hundred characters of one context line ("hp": "29/38", "abilities": "STR 10
(+0), ..."). A character without a summary (typed in by hand, or stored
before summaries existed) shows its small `stats`; the sheet's own JSON is
never sent, so no item is a clipped fragment of an export. A line that is
still too long drops its spells, then skills, then attacks, whole.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from core_client.contract import codec
from core_client.contract.summary import CharacterSummary

# The sheet as exported, and row bookkeeping: not for the model.
SHEET_KEYS = frozenset(
    {"source_json", "roll20_json", "foundry_json", "owlbear_json", "source_id", "summary",
     "source_platform", "archived_at"}
)  # fmt: skip
SHEDDABLE = ("spells", "skills", "attacks")


def character_data(character: Mapping[str, Any], limit: int) -> dict[str, Any]:
    """Return what the model reads of a character, in at most about `limit` characters."""
    data = {k: v for k, v in character.items() if k not in SHEET_KEYS}
    summary = _summary(character.get("summary"))
    if summary is not None:
        data.pop("stats", None)
        data.update(compact(summary))
        data["name"] = character.get("name", summary.name)
    for key in SHEDDABLE:
        if len(json.dumps(data, ensure_ascii=False, default=str)) <= limit:
            break
        data.pop(key, None)
    return data


def _summary(value: Any) -> CharacterSummary | None:
    if isinstance(value, CharacterSummary):
        return value
    if isinstance(value, Mapping):  # a context built from plain JSON (tests, the service API)
        try:
            return codec.decode(dict(value), CharacterSummary)
        except ValueError:
            return None
    return None


def compact(summary: CharacterSummary) -> dict[str, Any]:
    """Return a summary as short, readable JSON values."""
    out: dict[str, Any] = {
        k: v
        for k, v in codec.to_builtins(summary).items()
        if k not in ("abilities", "attacks", "spells", "hp", "hp_max", "hp_temp", "conditions")
    }
    if summary.hp is not None or summary.hp_max is not None:
        hp = f"{_or_unknown(summary.hp)}/{_or_unknown(summary.hp_max)}"
        out["hp"] = hp + (f" +{summary.hp_temp} temp" if summary.hp_temp else "")
    if summary.abilities:
        out["abilities"] = ", ".join(
            f"{k.upper()} {a.score} ({a.mod:+d})" for k, a in summary.abilities.items()
        )
    if summary.attacks:
        out["attacks"] = [_attack(a.name, a.bonus, a.damage) for a in summary.attacks]
    if summary.spells:
        levels: dict[str, list[str]] = {}
        for spell in summary.spells:
            levels.setdefault("cantrips" if spell.level == 0 else f"level {spell.level}", [])
            levels["cantrips" if spell.level == 0 else f"level {spell.level}"].append(spell.name)
        out["spells"] = levels
    out["conditions"] = list(summary.conditions) or "none"
    return out


def _attack(name: str, bonus: int | None, damage: str | None) -> str:
    hit = f" {bonus:+d} to hit" if bonus is not None else ""
    return f"{name}{hit}" + (f", {damage}" if damage else "")


def _or_unknown(value: int | None) -> str:
    return "?" if value is None else str(value)
