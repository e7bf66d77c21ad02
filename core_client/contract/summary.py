"""A character's compact summary: what the table and the AI read of a sheet.

A VTT export is tens of kilobytes of JSON, most of it icons, flags and
item descriptions; the few hundred bytes a player asks about ("what is my
AC?", "roll my Dex save") are spread across it in each VTT's own shape.
`core_client.sheets` extracts this one declared shape from each source, Core
stores it with the character and serves it in every character answer, and
the bot's AI context and `$dex` roll references read it. Every field is
bounded, so a hostile sheet cannot make a summary large.
"""

from __future__ import annotations

from typing import Annotated

import msgspec

from core_client.contract.scalars import PRESENT

MAX_SKILLS = 30
MAX_ATTACKS = 12
MAX_SPELLS = 40
MAX_CONDITIONS = 12
ABILITY_KEYS = ("str", "dex", "con", "int", "wis", "cha")


def _short(limit: int) -> msgspec.Meta:
    return msgspec.Meta(min_length=1, max_length=limit, pattern=PRESENT)


Label = Annotated[str, _short(100)]
Key = Annotated[str, msgspec.Meta(min_length=1, max_length=40, pattern=r"^[a-z][a-z0-9_]*$")]
Bonus = Annotated[int, msgspec.Meta(ge=-100, le=100)]
Score = Annotated[int, msgspec.Meta(ge=0, le=100)]
Level = Annotated[int, msgspec.Meta(ge=0, le=40)]
Points = Annotated[int, msgspec.Meta(ge=-100_000, le=100_000)]
ArmorClass = Annotated[int, msgspec.Meta(ge=0, le=100)]
AbilityKey = Annotated[str, msgspec.Meta(pattern=r"^(str|dex|con|int|wis|cha)$")]


class Ability(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """One ability score and its modifier."""

    score: Score
    mod: Bonus


class Attack(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A weapon or attack action: to-hit bonus and damage as the sheet says it."""

    name: Label
    bonus: Bonus | None = None
    damage: Label | None = None


class Spell(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """A spell the character knows; level 0 is a cantrip."""

    name: Label
    level: Annotated[int, msgspec.Meta(ge=0, le=9)] = 0


class CharacterSummary(msgspec.Struct, frozen=True, forbid_unknown_fields=True, omit_defaults=True):
    """Name, class and level, HP, AC, abilities, saves, skills, attacks, spells, conditions."""

    name: Label
    classes: Label | None = None  # "Fighter 3 / Rogue 2"
    level: Level | None = None
    hp: Points | None = None
    hp_max: Points | None = None
    hp_temp: Points | None = None
    ac: ArmorClass | None = None
    proficiency: Bonus | None = None
    initiative: Bonus | None = None
    speed: Annotated[int, msgspec.Meta(ge=0, le=10_000)] | None = None
    abilities: Annotated[dict[AbilityKey, Ability], msgspec.Meta(max_length=6)] = {}
    saves: Annotated[dict[AbilityKey, Bonus], msgspec.Meta(max_length=6)] = {}
    skills: Annotated[dict[Key, Bonus], msgspec.Meta(max_length=MAX_SKILLS)] = {}
    attacks: Annotated[tuple[Attack, ...], msgspec.Meta(max_length=MAX_ATTACKS)] = ()
    spell_attack: Bonus | None = None
    spell_dc: Annotated[int, msgspec.Meta(ge=0, le=100)] | None = None
    spells: Annotated[tuple[Spell, ...], msgspec.Meta(max_length=MAX_SPELLS)] = ()
    conditions: Annotated[tuple[Label, ...], msgspec.Meta(max_length=MAX_CONDITIONS)] = ()
