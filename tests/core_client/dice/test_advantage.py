"""Advantage and disadvantage rewrite the first d20."""

from __future__ import annotations

import random

import pytest

from core_client.dice import Advantage, roll
from core_client.dice.errors import DiceRuleError

from .scripted import ScriptedRng


@pytest.mark.parametrize(
    ("expression", "advantage", "faces", "normalised", "total"),
    [
        ("1d20+5", Advantage.ADVANTAGE, (3, 17), "2d20kh1 + 5", 22),
        ("d20+5", Advantage.DISADVANTAGE, (3, 17), "2d20kl1 + 5", 8),
        ("2d6+1d20", Advantage.ADVANTAGE, (1, 2, 3, 17), "2d6 + 2d20kh1", 20),
        ("1d20+1d20", Advantage.ADVANTAGE, (3, 17, 5), "2d20kh1 + 1d20", 22),
        ("floor(1d20cs>19/2)", Advantage.ADVANTAGE, (19, 2), "floor(2d20kh1cs>19 / 2)", 9),
        ("1d20", Advantage.NONE, (4,), "1d20", 4),
    ],
)
def test_rewrites_first_d20(
    expression: str, advantage: Advantage, faces: tuple[int, ...], normalised: str, total: int
) -> None:
    result = roll(expression, rng=ScriptedRng(*faces), advantage=advantage)  # type: ignore[arg-type]
    assert (result.expression, result.total) == (normalised, total)


def test_advantage_crit_uses_kept_die() -> None:
    result = roll("1d20", rng=ScriptedRng(20, 1), advantage=Advantage.DISADVANTAGE)  # type: ignore[arg-type]
    assert result.fumble
    assert not result.crit


@pytest.mark.parametrize("expression", ["2d6+3", "2d20+1", "1d20kh1"])
def test_needs_a_single_d20(expression: str) -> None:
    with pytest.raises(DiceRuleError):
        roll(expression, rng=random.Random(1), advantage=Advantage.ADVANTAGE)
