"""What every sheet extractor shares: lenient readers of untrusted values, 5e rules, bounds.

Exports hold numbers as numbers, as strings ("+6", " 14") or as formulas;
fields are missing, null or of another type. The readers here never raise:
a value that is not what we expect reads as unknown (None). `finish` clips
what an extractor found to the summary's declared bounds and checks it with
the declaration itself, so a summary is valid however strange the sheet.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Mapping, Sequence
from typing import Any

from core_client.contract import codec
from core_client.contract.summary import (
    MAX_ATTACKS,
    MAX_CONDITIONS,
    MAX_SKILLS,
    MAX_SPELLS,
    CharacterSummary,
)
from core_client.errors import RecordError

log = logging.getLogger(__name__)

ABILITY_NAMES = {
    "str": "strength",
    "dex": "dexterity",
    "con": "constitution",
    "int": "intelligence",
    "wis": "wisdom",
    "cha": "charisma",
}
SKILLS = {
    "acrobatics": "dex",
    "animal_handling": "wis",
    "arcana": "int",
    "athletics": "str",
    "deception": "cha",
    "history": "int",
    "insight": "wis",
    "intimidation": "cha",
    "investigation": "int",
    "medicine": "wis",
    "nature": "int",
    "perception": "wis",
    "performance": "cha",
    "persuasion": "cha",
    "religion": "int",
    "sleight_of_hand": "dex",
    "stealth": "dex",
    "survival": "wis",
}
_NUMBER = re.compile(r"^\s*([+-]?)\s*(\d{1,9})(?:\.\d+)?\s*$")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NOT_WORD = re.compile(r"[^a-z0-9]+")
_LIMITS = {
    "level": (0, 40),
    "hp": (-100_000, 100_000),
    "hp_max": (-100_000, 100_000),
    "hp_temp": (-100_000, 100_000),
    "ac": (0, 100),
    "proficiency": (-100, 100),
    "initiative": (-100, 100),
    "speed": (0, 10_000),
    "spell_attack": (-100, 100),
    "spell_dc": (0, 100),
}


def mapping(value: Any) -> Mapping[str, Any]:
    """Return `value` if it is a JSON object, else an empty one."""
    return value if isinstance(value, Mapping) else {}


def items(value: Any) -> list[Mapping[str, Any]]:
    """Return the JSON objects of a list (anything else reads as none)."""
    if not isinstance(value, Sequence) or isinstance(value, str | bytes):
        return []
    return [item for item in value if isinstance(item, Mapping)]


def number(value: Any) -> int | None:
    """Return an integer from a number or a numeric string ("+6", " 14"), else None."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return value
    if isinstance(value, float):
        return int(value) if value == value and abs(value) < 1e12 else None
    if isinstance(value, str) and (match := _NUMBER.match(value)):
        return int(match[2]) * (-1 if match[1] == "-" else 1)
    return None


def text(value: Any, limit: int = 100) -> str | None:
    """Return a string's stripped, clipped text, or None if it is empty or not a string."""
    if not isinstance(value, str):
        return None
    cleaned = " ".join(value.replace("\x00", "").split())[:limit].strip()
    return cleaned or None


def key_of(name: str) -> str:
    """Return `sleight_of_hand` for "Sleight of Hand", "sleightOfHand" or "sleight-of-hand"."""
    snake = _CAMEL.sub("_", name).lower()
    return _NOT_WORD.sub("_", snake).strip("_")[:40]


def modifier(score: int) -> int:
    """Return the 5e ability modifier of a score."""
    return (score - 10) // 2


def proficiency_for(level: int | None) -> int | None:
    """Return the 5e proficiency bonus at a character level."""
    if level is None or level < 1:
        return None
    return 2 + (min(level, 20) - 1) // 4


def signed(value: int) -> str:
    """Return `+3` or `-1`."""
    return f"{value:+d}"


def finish(fields: dict[str, Any]) -> CharacterSummary | None:
    """Return the summary of what an extractor found, clipped to the declared bounds."""
    for key, (low, high) in _LIMITS.items():
        value = fields.get(key)
        if value is not None and not low <= value <= high:
            fields[key] = None
    for name in ("saves", "skills"):
        fields[name] = {k: v for k, v in fields.get(name, {}).items() if bonus_ok(v) is not None}
    fields["skills"] = dict(list(fields["skills"].items())[:MAX_SKILLS])
    fields["attacks"] = list(fields.get("attacks", []))[:MAX_ATTACKS]
    fields["spells"] = list(fields.get("spells", []))[:MAX_SPELLS]
    fields["conditions"] = list(dict.fromkeys(fields.get("conditions", [])))[:MAX_CONDITIONS]
    clean = {k: v for k, v in fields.items() if v is not None}
    try:
        return codec.decode(clean, CharacterSummary, "summary")
    except RecordError as exc:  # a value no clipping above foresaw: say so, keep the sheet
        log.warning("no summary for %r: %s", fields.get("name"), exc)
        return None


def bonus_ok(value: int | None) -> int | None:
    """Return a bonus if it is within the summary's bounds, else None."""
    return value if value is not None and -100 <= value <= 100 else None
