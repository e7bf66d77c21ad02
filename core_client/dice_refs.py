"""Stat references in dice expressions: `1d20+$dex`, `[[1d20+@{strength_mod}]]`.

A player rolling as a character may name its stats instead of their values,
in FumbleBot's style (`$dex`, `$str_save`, `$stealth`) or Roll20's
(`@{dexterity_mod}`, `@{selected|stealth_bonus}`). `resolve` replaces every
reference with the value from the character's summary *before* the dice
engine parses the text, so the engine stays pure and never sees a name.

Names, case-insensitive (see `stat_values`): `str`..`cha`, `str_mod`,
`strength_mod` are modifiers and `strength`, `str_score` scores (as on
Roll20's sheet); `str_save`, `strength_save_bonus`; each skill, also with
`_bonus`; `ac`, `hp`, `hp_max`, `level`, `pb`/`prof`, `initiative`/`init`,
`speed`, `spell_attack`, `spell_dc`. A negative value is written `(-1)`.

The errors are `DiceError`s, so every place that reports a bad expression
reports these too: a reference without a character to read it from
(`NoCharacterError`), and a name the character lacks (`UnknownStatError`,
which lists the names there are).
"""

from __future__ import annotations

import re
from collections.abc import Mapping

from core_client.contract.summary import CharacterSummary
from core_client.dice import DiceError, find_inline_rolls
from core_client.sheets.common import ABILITY_NAMES

REFERENCE = re.compile(r"\$(?P<plain>[A-Za-z_][A-Za-z0-9_]*)|@\{(?P<roll20>[^{}\[\]]{1,100})\}")
MAX_LISTED = 1500  # characters of known names in an error: it must fit a Discord message


class StatReferenceError(DiceError):
    """An expression names a character stat that cannot be resolved."""


class NoCharacterError(StatReferenceError):
    """An expression names a stat, but the roller plays no character here."""


class UnknownStatError(StatReferenceError):
    """An expression names a stat the character does not have."""


def has_refs(text: str) -> bool:
    """Return whether `text` holds a stat reference."""
    return REFERENCE.search(text) is not None


def normalize(name: str) -> str:
    """Return the lookup key of a name: `@{Ysolde|Stealth Bonus}` -> `stealth_bonus`."""
    return re.sub(r"[\s-]+", "_", name.rsplit("|", 1)[-1].strip()).lower()


def stat_values(summary: CharacterSummary) -> dict[str, int]:
    """Return every name a roll may use for the summary's stats, with its value."""
    values: dict[str, int] = {}
    for short, ability in summary.abilities.items():
        long = ABILITY_NAMES[short]
        values |= {short: ability.mod, f"{short}_mod": ability.mod, f"{long}_mod": ability.mod}
        values |= {long: ability.score, f"{short}_score": ability.score}
    for short, bonus in summary.saves.items():
        long = ABILITY_NAMES[short]
        values |= {f"{short}_save": bonus, f"{long}_save": bonus, f"{long}_save_bonus": bonus}
    for skill, bonus in summary.skills.items():
        values |= {skill: bonus, f"{skill}_bonus": bonus}
    extras = {
        ("ac",): summary.ac,
        ("hp",): summary.hp,
        ("hp_max",): summary.hp_max,
        ("level",): summary.level,
        ("pb", "prof", "proficiency", "proficiency_bonus"): summary.proficiency,
        ("initiative", "init", "initiative_bonus"): summary.initiative,
        ("speed",): summary.speed,
        ("spell_attack", "spell_attack_bonus"): summary.spell_attack,
        ("spell_dc", "spell_save_dc"): summary.spell_dc,
    }
    for names, value in extras.items():
        if value is not None:
            values |= dict.fromkeys(names, value)
    return values


def resolve(expression: str, stats: Mapping[str, int] | None, *, character: str = "") -> str:
    """Return `expression` with every stat reference replaced by its value.

    Raises `NoCharacterError` if there is a reference and `stats` is None, and
    `UnknownStatError` for a name `stats` lacks; columns count from 1.
    """

    def value(match: re.Match[str]) -> str:
        written = match[0]
        if stats is None:
            raise NoCharacterError(
                f"{written} names a stat of your character, but you play no character here: "
                "choose one with /character use",
                match.start() + 1,
            )
        found = stats.get(normalize(match["plain"] or match["roll20"]))
        if found is None:
            raise UnknownStatError(_unknown(written, stats, character), match.start() + 1)
        return str(found) if found >= 0 else f"({found})"

    return REFERENCE.sub(value, expression)


def resolve_inline(text: str, stats: Mapping[str, int] | None, *, character: str = "") -> str:
    """Resolve references inside each `[[...]]` of a message, leaving the prose alone."""
    parts, last = [], 0
    for span in find_inline_rolls(text):
        inner = text[span.start + 2 : span.end - 2]
        try:
            resolved = resolve(inner, stats, character=character)
        except StatReferenceError as exc:
            raise exc.at_offset(span.start + 2) from None
        parts += [text[last : span.start], f"[[{resolved}]]"]
        last = span.end
    return "".join([*parts, text[last:]])


def _unknown(written: str, stats: Mapping[str, int], character: str) -> str:
    who = character or "your character"
    known = ", ".join(sorted(stats, key=lambda n: (n.count("_"), len(n), n)))
    if len(known) > MAX_LISTED:
        known = known[:MAX_LISTED].rsplit(", ", 1)[0] + ", ..."
    if not stats:
        return f"{written} is not a stat of {who}: their sheet has no stats FumbleBot can read"
    return f"{written} is not a stat of {who}. Known: {known}"
