"""Inline rolls inside a sentence."""

from __future__ import annotations

import random

import pytest

from core_client.dice import (
    InlineRoll,
    Limits,
    find_inline_rolls,
    replace_inline_rolls,
    roll_inline,
)
from core_client.dice.errors import DiceLimitError, DiceSyntaxError

from .scripted import ScriptedRng


def test_find_spans() -> None:
    text = "I swing [[1d20+5]] and hit for [[1d8+3]]"
    assert find_inline_rolls(text) == [
        InlineRoll(8, 18, "1d20+5"),
        InlineRoll(31, 40, "1d8+3"),
    ]


def test_labels_inside_inline_rolls() -> None:
    assert find_inline_rolls("Burn: [[2d6[fire]]]!") == [InlineRoll(6, 19, "2d6[fire]")]


def test_no_inline_rolls() -> None:
    assert find_inline_rolls("just [text] and ]] here") == []


def test_unclosed_inline_roll() -> None:
    with pytest.raises(DiceSyntaxError, match="closing"):
        find_inline_rolls("oops [[1d20")


def test_too_many_inline_rolls() -> None:
    with pytest.raises(DiceLimitError):
        find_inline_rolls("[[1]]" * 3, limits=Limits(max_inline=2))


def test_roll_and_replace() -> None:
    text = "I swing [[1d20+5]] and hit for [[1d8+3]]"
    rolled = roll_inline(text, rng=ScriptedRng(12, 4))  # type: ignore[arg-type]
    assert [r.result.total for r in rolled] == [17, 7]
    assert replace_inline_rolls(text, rolled) == "I swing **17** and hit for **7**"


def test_inline_error_columns_point_into_the_message() -> None:
    with pytest.raises(DiceSyntaxError) as info:
        roll_inline("ok [[1d6]] bad [[1d]]", rng=random.Random(1))
    assert info.value.column == 20  # the end of "1d", after the second d
