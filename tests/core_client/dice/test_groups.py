"""Roll20 groups: keep/drop and successes over sub-rolls or over single dice."""

from __future__ import annotations

import random

import pytest

from core_client.dice import Group, RollResult, roll
from core_client.dice.errors import DiceSyntaxError

from .scripted import ScriptedRng


def rolled(expression: str, *faces: int) -> RollResult:
    rng = ScriptedRng(*faces)
    result = roll(expression, rng=rng)  # type: ignore[arg-type]
    assert rng.exhausted
    return result


def test_single_sub_roll_keeps_best_die() -> None:
    result = rolled("{4d6+3d8}kh1", 1, 2, 3, 4, 5, 6, 7)
    assert result.total == 7
    kept = [(d.value, d.sides) for t in result.terms() for d in t.dice if d.kept]
    assert kept == [(7, 8)]
    assert [t.subtotal for t in result.terms()] == [0, 7]
    assert isinstance(result.tree, Group)
    assert result.tree.per_die


def test_several_sub_rolls_keep_best_total() -> None:
    result = rolled("{4d6, 3d8}kh1", 1, 2, 3, 4, 5, 6, 7)
    assert result.total == 18
    assert isinstance(result.tree, Group)
    assert [(i.value, i.kept) for i in result.tree.items] == [(10, False), (18, True)]


def test_drop_lowest_sub_roll() -> None:
    assert rolled("{1d6, 1d6, 1d6}dl1", 2, 5, 4).total == 9


def test_sub_roll_successes() -> None:
    result = rolled("{1d20+5, 1d20+2}>15", 10, 12)
    assert result.total == 1
    assert isinstance(result.tree, Group)
    assert [i.success for i in result.tree.items] == [True, False]


def test_sub_roll_failures() -> None:
    assert rolled("{1d20, 1d20, 1d20}>15f<5", 16, 3, 10).total == 0


def test_single_dice_group_counts_dice() -> None:
    # Shadowrun style: compounding dice compared one by one.
    result = rolled("{5d6!!}>8", 6, 3, 2, 6, 6, 1, 4, 5)
    (term,) = result.terms()
    assert [d.value for d in term.dice] == [9, 2, 13, 4, 5]
    assert result.total == 2


def test_a_constant_in_a_single_sub_roll_is_added_to_each_die() -> None:
    # Roll20's own examples (the old reading compared the sub-roll's total instead).
    assert rolled("{3d20+5}>21", 10, 10, 1).total == 0  # 15, 15, 6
    assert rolled("{3d20+5}>21", 16, 17, 1).total == 2  # 21, 22, 6
    assert rolled("{3d6+1}<3", 1, 2, 3).total == 2  # 2, 3, 4
    assert rolled("{3d6-1}kh1", 2, 6, 3).total == 5  # the best die, less one
    assert rolled("{2d6*2}>8", 3, 2).total == 1  # not dice plus numbers: one item, 10


def test_plain_group_sums() -> None:
    assert rolled("{1d6, 2, 3}", 4).total == 9
    assert rolled("{1d6}+1", 4).total == 5


def test_group_of_groups_and_label() -> None:
    result = rolled("{{1d6, 1d6}kh1, 3}kl1[best]", 2, 5)
    assert result.total == 3
    assert result.expression == "{{1d6, 1d6}kh1, 3}kl1[best]"


@pytest.mark.parametrize("expression", ["{1d6}!", "{1d6, 2}r1", "{2d6}s"])
def test_dice_only_modifiers_on_groups(expression: str) -> None:
    with pytest.raises(DiceSyntaxError, match="cannot be used on a group"):
        roll(expression, rng=random.Random(1))


@pytest.mark.parametrize("expression", ["{}", "{1d6,}", "{1d6", "{1d6 2}"])
def test_malformed_groups(expression: str) -> None:
    with pytest.raises(DiceSyntaxError):
        roll(expression, rng=random.Random(1))
