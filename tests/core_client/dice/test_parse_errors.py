"""Bad input raises one DiceError subclass that says what is wrong and where."""

from __future__ import annotations

import random

import pytest

from core_client.dice import parse, roll
from core_client.dice.errors import DiceError, DiceLimitError, DiceRuleError, DiceSyntaxError


@pytest.mark.parametrize(
    ("expression", "error", "column", "message"),
    [
        ("", DiceSyntaxError, 1, "empty"),
        ("   ", DiceSyntaxError, 1, "empty"),
        ("1d", DiceSyntaxError, 3, "number of sides"),
        ("1d20+", DiceSyntaxError, 6, "Expected a number"),
        ("1d20+abc", DiceSyntaxError, 6, "Unknown word 'abc'"),
        ("1d20kq", DiceSyntaxError, 6, "Unknown dice modifier"),
        ("(1d20", DiceSyntaxError, 6, "Expected ')'"),
        ("1d20)", DiceSyntaxError, 5, "Unexpected character"),
        ("1d20+5foo", DiceSyntaxError, 7, "Unexpected character"),
        ("Attack 1d20", DiceSyntaxError, 1, "Unknown word"),
        ("2d0", DiceRuleError, 3, "at least one side"),
        ("1.5d6", DiceRuleError, 1, "whole number"),
        ("1d10001", DiceLimitError, 3, "10000 sides"),
        ("1001d6", DiceLimitError, 1, "Too many dice"),
        ("floor 3", DiceSyntaxError, 7, "'(' after floor"),
        ("sqrt(4)", DiceSyntaxError, 1, "Unknown word 'sqrt'"),
        ("1d6 +* 2", DiceSyntaxError, 6, "Expected a number"),
        ("[[1d6", DiceSyntaxError, 1, "missing its closing"),  # [[1d6]] now rolls inline
    ],
)
def test_errors_name_the_problem_and_column(
    expression: str, error: type[DiceError], column: int, message: str
) -> None:
    with pytest.raises(error) as info:
        roll(expression, rng=random.Random(1))
    assert info.value.column == column
    assert message in str(info.value)
    assert f"(column {column})" in str(info.value)


def test_parse_gives_tree_and_comment() -> None:
    parsed = parse("1d20 + 5 to hit")
    assert parsed.comment == "to hit"


def test_whitespace_inside_a_dice_term_starts_the_comment() -> None:
    result = roll("4d6 keep the best", rng=random.Random(1))
    assert (result.expression, result.comment) == ("4d6", "keep the best")
    # A comment that reads as a modifier is refused rather than silently ignored (#14).
    with pytest.raises(DiceSyntaxError, match="write it against the dice: 4d6kh3"):
        roll("4d6 kh3", rng=random.Random(1))


def test_error_offset_copy() -> None:
    error = DiceSyntaxError("Bad", 3)
    moved = error.at_offset(10)
    assert isinstance(moved, DiceSyntaxError)
    assert moved.column == 13
    assert str(moved) == "Bad (column 13)"
