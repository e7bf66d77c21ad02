"""Spellings of other dice dialects that Roll20 notation would silently misread.

Roll20 reads text after a space as a comment, so `4d6 k3` (d20), `6d6 t4` and
`6 4d6` (Dice Maiden) would roll something else than what was meant; Dice
Maiden's `+d20` is advantage, and d20's `4d6k>3` keeps dice by value. Rather than
change their meaning silently, the parser refuses them with the Roll20 spelling.
"""

from __future__ import annotations

import re

from .errors import DiceSyntaxError

# A comment whose first word is a dice modifier (`k3`, `t4`, `>3`, `!`, `r1`...).
_MODIFIER_WORD = re.compile(
    r"(?:(?:kh|kl|k|dh|dl|d|ph|pl|ro|rr|r|cs|cf|min|max|mi|ma|mt|m|sa|sd|f|e|xo|x|t)"
    r"(?:[<>]=?|=)?\d+|(?:[<>]=?|=)-?\d+|!!|!p|!)(?:\S*)$",
    re.IGNORECASE,
)
_DICE_WORD = re.compile(r"\d*d(?:\d|%|f\b)", re.IGNORECASE)
_SIGNED_D20 = re.compile(r"\s*([+-])d20(?!\d)", re.IGNORECASE)


def check_start(text: str) -> None:
    """Refuse Dice Maiden's `+d20` / `-d20` (advantage / disadvantage)."""
    found = _SIGNED_D20.match(text)
    if found is None:
        return
    keep, name = ("kh1", "advantage") if found.group(1) == "+" else ("kl1", "disadvantage")
    raise DiceSyntaxError(
        f"'{found.group(1)}d20' means {name} in some bots; Roll20 spells it 2d20{keep} "
        f"(or use the {name} option); write 1d20 for a plain d20",
        found.start(1) + 1,
    )


def check_comment(expression: str, comment: str, column: int) -> None:
    """Refuse a comment that another dialect would read as part of the roll."""
    word = comment.split(maxsplit=1)[0]
    if _DICE_WORD.match(word):
        raise DiceSyntaxError(
            f"'{expression} {word}' is two rolls, and Roll20 would read '{word}' as a "
            f"comment; add them ({expression}+{word}) or use the repeat option",
            column,
        )
    if _MODIFIER_WORD.match(word):
        fixed = ">" + word[1:] if word[0] in "tT" and word[1:].isdigit() else word
        raise DiceSyntaxError(
            f"'{word}' after a space is a comment in Roll20, not a modifier; "
            f"write it against the dice: {expression}{fixed}",
            column,
        )


def check_keep_by_value(name: str, following: str, column: int) -> None:
    """Refuse d20's keep/drop by value (`4d6k>3`), which Roll20 has no spelling for."""
    if following[:1] in ("<", ">", "="):
        raise DiceSyntaxError(
            f"'{name}{following[:1]}…' keeps or drops dice by value (d20); Roll20 keeps the "
            f"highest or lowest N (khN, klN) or counts dice against a target (like >3)",
            column,
        )
