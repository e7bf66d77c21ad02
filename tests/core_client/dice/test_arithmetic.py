"""Arithmetic: precedence, Roll20 division/modulo/rounding, functions, bounds."""

from __future__ import annotations

import random

import pytest

from core_client.dice import roll
from core_client.dice.errors import DiceLimitError, DiceMathError, DiceRuleError


def total(expression: str) -> int | float:
    return roll(expression, rng=random.Random(1)).total


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("2+3*4", 14),
        ("(2+3)*4", 20),
        ("10-2-3", 5),
        ("100/10/5", 2),
        ("2*3+4", 10),
        ("7/2", 3.5),
        ("6/2", 3),
        ("1/3", 1 / 3),
        ("-7%3", -1),
        ("7%-3", 1),
        ("7.5%2", 1.5),
        ("2**10", 1024),
        ("2**-1", 0.5),
        ("2**3**2", 512),
        ("-2**2", -4),
        ("(-2)**2", 4),
        ("4**0.5", 2),
        ("1.5*2", 3),
        ("--3", 3),
        ("+3", 3),
        ("floor(7/2)", 3),
        ("floor(-7/2)", -4),
        ("ceil(7/2)", 4),
        ("round(2.5)", 3),
        ("round(-2.5)", -2),
        ("round(2.4)", 2),
        ("abs(-3)", 3),
        ("abs(2-5)*2", 6),
        (".5*4", 2),
        ("1 +   2", 3),
    ],
)
def test_arithmetic(expression: str, expected: int | float) -> None:
    value = total(expression)
    assert value == pytest.approx(expected)
    assert type(value) is type(expected)


@pytest.mark.parametrize(
    ("expression", "column"),
    [("1/0", 2), ("5 % 0", 3), ("1d6/(1-1)", 4), ("0**-1", 1)],
)
def test_division_by_zero(expression: str, column: int) -> None:
    with pytest.raises(DiceMathError) as info:
        total(expression)
    assert info.value.column == column
    assert f"column {column}" in str(info.value)


def test_fractional_power_of_negative() -> None:
    with pytest.raises(DiceMathError, match="fractional power"):
        total("(-8)**0.5")


@pytest.mark.parametrize(
    "expression",
    ["10**1000", "9**9**9**9", "2.0**5000", "99999999999**99", "10**99*10**99", "1/0.1**150"],
)
def test_huge_results_are_refused(expression: str) -> None:
    with pytest.raises(DiceLimitError, match="too large"):
        total(expression)


def test_large_but_allowed_result() -> None:
    assert total("10**99") == 10**99


@pytest.mark.parametrize(
    ("expression", "error"),
    [("(0-2)d6", DiceRuleError), ("2d(1/5)", DiceRuleError), ("(0-3/2)d6", DiceRuleError)],
)
def test_computed_counts_and_sizes_must_round_to_usable(
    expression: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        total(expression)


def test_computed_sides_obey_limits() -> None:
    with pytest.raises(DiceLimitError, match="sides"):
        total("1d(10000+1)")
    with pytest.raises(DiceRuleError, match="side"):
        total("1d(1-1)")
