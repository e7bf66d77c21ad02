"""Dice modifiers: rerolls, explosions, successes, clamps, sorting, crit thresholds."""

from __future__ import annotations

import random

import pytest

from core_client.dice import DiceTerm, RollResult, roll
from core_client.dice.errors import DiceRuleError, DiceSyntaxError

from .scripted import ScriptedRng


def rolled(expression: str, *faces: int) -> RollResult:
    rng = ScriptedRng(*faces)
    result = roll(expression, rng=rng)  # type: ignore[arg-type]
    assert rng.exhausted, f"unused faces: {list(rng.faces)}"
    return result


def only_term(expression: str, *faces: int) -> DiceTerm:
    (term,) = rolled(expression, *faces).terms()
    return term


def shown(term: DiceTerm) -> list[tuple[int, bool]]:
    return [(d.value, d.kept) for d in term.dice]


@pytest.mark.parametrize(
    ("expression", "faces", "total", "dice", "normalised"),
    [
        ("2d6r1", (1, 3, 5), 8, [(1, False), (3, True), (5, True)], "2d6r1"),
        ("1d6r<2", (1, 2, 1, 4), 4, [(1, False), (2, False), (1, False), (4, True)], "1d6r<2"),
        ("1d6r<=2", (2, 4), 4, [(2, False), (4, True)], "1d6r<2"),
        ("1d6r>5", (6, 5, 3), 3, [(6, False), (5, False), (3, True)], "1d6r>5"),
        ("1d6ro1", (1, 1), 1, [(1, False), (1, True)], "1d6ro1"),
        ("1d6rr1", (1, 1, 2), 2, [(1, False), (1, False), (2, True)], "1d6r1"),
        ("2d6r2r4", (2, 4, 6, 3), 9, [(2, False), (4, False), (6, True), (3, True)], "2d6r2r4"),
        ("1d6=1", (1,), 1, [(1, True)], "1d6=1"),
    ],
)
def test_rerolls(
    expression: str,
    faces: tuple[int, ...],
    total: int,
    dice: list[tuple[int, bool]],
    normalised: str,
) -> None:
    result = rolled(expression, *faces)
    (term,) = result.terms()
    assert (result.total, shown(term), result.expression) == (total, dice, normalised)


def test_rerolled_dice_are_flagged() -> None:
    term = only_term("1d6r1", 1, 5)
    assert term.dice[0].rerolled
    assert not term.dice[0].kept
    assert not term.dice[1].rerolled
    assert term.dice[1].kept


@pytest.mark.parametrize(
    ("expression", "faces", "total", "normalised"),
    [
        ("3d6!", (6, 2, 3, 4), 15, "3d6!"),
        ("1d6!", (6, 6, 1), 13, "1d6!"),
        ("1d6!>5", (5, 6, 1), 12, "1d6!>5"),
        ("1d6!5", (5, 5, 1), 11, "1d6!5"),
        ("1d6x", (6, 1), 7, "1d6!"),
        ("1d6e6", (6, 1), 7, "1d6!6"),
        ("1d6xo", (6, 6), 12, "1d6xo"),
        ("1d6!!", (6, 6, 2), 14, "1d6!!"),
        ("1d6!p", (6, 6, 3), 13, "1d6!p"),
        ("1d6!r1", (6, 1, 4), 10, "1d6!r1"),
    ],
)
def test_explosions(expression: str, faces: tuple[int, ...], total: int, normalised: str) -> None:
    result = rolled(expression, *faces)
    assert (result.total, result.expression) == (total, normalised)


def test_explosion_flags() -> None:
    term = only_term("1d6!", 6, 6, 1)
    assert [(d.value, d.exploded, d.extra) for d in term.dice] == [
        (6, True, False),
        (6, True, True),
        (1, False, True),
    ]


def test_compound_is_one_die() -> None:
    (die,) = only_term("1d6!!", 6, 6, 2).dice
    assert (die.value, die.natural, die.exploded, die.crit) == (14, 6, True, True)


def test_penetration_lowers_extra_dice() -> None:
    term = only_term("1d6!p", 6, 6, 3)
    assert [(d.value, d.natural) for d in term.dice] == [(6, 6), (5, 6), (2, 3)]


def test_explosion_dice_are_rerolled() -> None:
    term = only_term("1d6!r1", 6, 1, 4)
    assert [(d.value, d.kept, d.rerolled, d.extra) for d in term.dice] == [
        (6, True, False, False),
        (1, False, True, True),
        (4, True, False, True),
    ]


@pytest.mark.parametrize(
    ("expression", "faces", "total"),
    [
        ("10d10>8f1", (1, 9, 4, 8, 8, 9, 4, 6, 4, 4), 3),
        ("3d6>=5", (5, 6, 4), 2),
        ("3d6<2", (1, 2, 3), 2),
        ("3d6=6", (6, 6, 1), 2),
        ("3d6>5+1", (6, 1, 1), 2),
        ("3d6>5f<2", (6, 1, 2), -1),
        ("4d6kh2>5", (6, 5, 1, 6), 2),
    ],
)
def test_success_counting(expression: str, faces: tuple[int, ...], total: int) -> None:
    assert rolled(expression, *faces).total == total


def test_success_flags() -> None:
    term = only_term("3d10>8f1", 9, 1, 5)
    assert term.counts_successes
    assert [(d.success, d.failure) for d in term.dice] == [
        (True, False),
        (False, True),
        (False, False),
    ]
    assert term.subtotal == 0


@pytest.mark.parametrize(
    ("expression", "faces", "total", "values"),
    [
        ("4d6mi3", (1, 2, 5, 6), 17, [3, 3, 5, 6]),
        ("4d6min3", (1, 2, 5, 6), 17, [3, 3, 5, 6]),
        ("4d6ma4", (1, 2, 5, 6), 11, [1, 2, 4, 4]),
        ("4d6max4", (1, 2, 5, 6), 11, [1, 2, 4, 4]),
        ("4d6mi2ma5", (1, 2, 5, 6), 14, [2, 2, 5, 5]),
    ],
)
def test_clamps(expression: str, faces: tuple[int, ...], total: int, values: list[int]) -> None:
    term = only_term(expression, *faces)
    assert (term.subtotal, [d.value for d in term.dice]) == (total, values)
    assert [d.natural for d in term.dice] == list(faces)


@pytest.mark.parametrize(
    ("expression", "order"),
    [("4d6s", [1, 3, 5, 6]), ("4d6sa", [1, 3, 5, 6]), ("4d6sd", [6, 5, 3, 1])],
)
def test_sorting(expression: str, order: list[int]) -> None:
    term = only_term(expression, 5, 1, 6, 3)
    assert [d.value for d in term.dice] == order
    assert term.subtotal == 15


def test_crit_thresholds() -> None:
    result = rolled("1d20cs>19", 19)
    assert result.crit
    assert result.terms()[0].dice[0].crit
    result = rolled("1d20cf<3", 2)
    assert result.fumble
    assert not result.crit
    assert not rolled("1d20cs>19", 20 - 2).crit


def test_cs_makes_any_die_size_count() -> None:
    assert rolled("1d6cs6", 6).crit
    assert not rolled("1d6", 6).crit


def test_cs_does_not_change_the_total() -> None:
    assert rolled("2d6cs>5", 6, 5).total == 11


@pytest.mark.parametrize(
    "expression",
    ["1d1!", "1d6r<7", "1d6r>1", "1d6!>1", "1d6r<5!", "1d6!!>1", "1dF!>-1", "1d1!!", "1d1!p"],
)
def test_endless_triggers_are_refused(expression: str) -> None:
    with pytest.raises(DiceRuleError, match="never stop"):
        roll(expression, rng=random.Random(1))


def test_endless_trigger_with_computed_sides_is_refused() -> None:
    with pytest.raises(DiceRuleError, match="never stop"):
        roll("1d(2-1)!", rng=random.Random(1))


@pytest.mark.parametrize("expression", ["1d6ro<6", "1d6xo>1", "1d6ro<6!"])
def test_finite_triggers_on_every_face_are_allowed(expression: str) -> None:
    assert roll(expression, rng=random.Random(1)).total >= 1


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("1d6!!!", "only one explosion"),
        ("1d6r1ro2", "mix r"),
        ("1d6mi2mi3", "only once"),
        ("1d6ssd", "only one sort"),
        ("1d6f1", "success target first"),
        ("1d6cs", "Expected a number"),
        ("1d6>", "Expected a number"),
        ("1d6mi", "Expected a number"),
        ("1d6q", "Unknown dice modifier"),
    ],
)
def test_bad_modifiers(expression: str, message: str) -> None:
    with pytest.raises(DiceSyntaxError, match=message):
        roll(expression, rng=random.Random(1))
