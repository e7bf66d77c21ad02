"""Stat references are replaced before the dice engine parses: tables and properties."""

from __future__ import annotations

import random
import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from core_client import dice
from core_client.contract.summary import Ability, CharacterSummary
from core_client.dice_refs import (
    REFERENCE,
    NoCharacterError,
    UnknownStatError,
    has_refs,
    resolve,
    resolve_inline,
    stat_values,
)

SUMMARY = CharacterSummary(
    name="Ysolde",
    ac=16,
    level=5,
    proficiency=3,
    abilities={"str": Ability(12, 1), "dex": Ability(18, 4), "cha": Ability(8, -1)},
    saves={"dex": 7, "cha": -1},
    skills={"stealth": 7, "sleight_of_hand": 4},
    spell_dc=14,
)
STATS = stat_values(SUMMARY)


@pytest.mark.parametrize(
    ("written", "resolved"),
    [
        ("1d20+$dex", "1d20+4"),
        ("1d20+$DEX Stealth", "1d20+4 Stealth"),
        ("1d20+$cha", "1d20+(-1)"),
        ("1d20+@{strength_mod}", "1d20+1"),
        ("1d20+@{dex}", "1d20+4"),
        ("1d20+$str_mod", "1d20+1"),
        ("@{strength}", "12"),  # Roll20: the long name is the score
        ("$dex_save + $pb", "7 + 3"),
        ("1d20+@{dexterity_save_bonus}", "1d20+7"),
        ("1d20+@{selected|stealth_bonus}", "1d20+7"),
        ("1d20+@{Ysolde|Sleight of Hand}", "1d20+4"),
        ("1d20+$stealth", "1d20+7"),
        ("$ac+$level+$spell_dc", "16+5+14"),
        ("2d6+3 costs $5", "2d6+3 costs $5"),  # not a name: left alone
        ("1d20+5", "1d20+5"),
    ],
)
def test_references_resolve_to_the_summarys_values(written: str, resolved: str) -> None:
    assert resolve(written, STATS) == resolved


def test_an_unknown_name_says_where_and_lists_the_names_there_are() -> None:
    with pytest.raises(UnknownStatError) as caught:
        resolve("1d20+$wis", STATS, character="Ysolde")
    message = str(caught.value)
    assert message.startswith("$wis is not a stat of Ysolde. Known: ")
    assert "dex" in message
    assert "stealth" in message
    assert caught.value.column == 6
    assert isinstance(caught.value, dice.DiceError)  # reported wherever a bad roll is


def test_a_reference_without_a_character_asks_for_one() -> None:
    with pytest.raises(NoCharacterError, match="/character use"):
        resolve("1d20+$dex", None)
    assert resolve("1d20+2", None) == "1d20+2"


def test_inline_references_resolve_inside_the_brackets_only() -> None:
    text = "I sneak $dex-ily [[1d20+@{stealth_bonus}]] and stab [[1d6+$dex]]"
    assert resolve_inline(text, STATS) == "I sneak $dex-ily [[1d20+7]] and stab [[1d6+4]]"
    with pytest.raises(UnknownStatError) as caught:
        resolve_inline("ok [[1d20+$nope]]", STATS)
    assert caught.value.column == len("ok [[1d20+") + 1


def test_a_resolved_expression_rolls_as_the_written_values_do() -> None:
    resolved = dice.roll(resolve("1d20+$cha+$dex", STATS), rng=random.Random(3))
    by_hand = dice.roll("1d20+(-1)+4", rng=random.Random(3))
    assert resolved.total == by_hand.total


NAMES = st.sampled_from(sorted(STATS))
UNKNOWN = st.from_regex(r"[a-z][a-z0-9_]{0,12}", fullmatch=True).filter(lambda n: n not in STATS)
# Each piece starts with a character no name holds, so it cannot extend the name before it.
TEXT = st.builds(
    lambda sep, rest: sep + rest, st.sampled_from("+-*() "), st.text("1d20+-*() kh", max_size=8)
)


def written(name: str, roll20: bool) -> str:
    return f"@{{{name}}}" if roll20 else f"${name}"


@given(st.lists(st.tuples(TEXT, NAMES, st.booleans()), max_size=6), TEXT)
def test_a_resolved_expression_never_holds_a_reference(
    pieces: list[tuple[str, str, bool]], tail: str
) -> None:
    expression = "".join(text + written(name, roll20) for text, name, roll20 in pieces) + tail
    resolved = resolve(expression, STATS)
    assert not has_refs(resolved)
    assert "$" not in resolved
    assert "@{" not in resolved


@given(TEXT, UNKNOWN, st.booleans(), TEXT)
def test_an_unknown_reference_always_raises_the_declared_error(
    head: str, name: str, roll20: bool, tail: str
) -> None:
    expression = head + written(name, roll20) + tail
    with pytest.raises(UnknownStatError) as caught:
        resolve(expression, STATS)
    assert caught.value.column == len(head) + 1
    assert re.search(re.escape(written(name, roll20)), str(caught.value))
    assert REFERENCE.search(expression)
