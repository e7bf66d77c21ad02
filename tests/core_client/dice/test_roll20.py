"""Issue #14, "exactly Roll20": one table row per decision, rolled with scripted dice.

Each row names the expression, the faces drawn, the total, and what the roll is
normalised to; stats and bounds must agree with the rolls where they apply.
"""

from __future__ import annotations

import random

import pytest

from core_client.dice import bounds, distribution, roll, roll_inline
from core_client.dice.errors import DiceError, DiceRuleError, DiceSyntaxError, IntractableError

from .scripted import ScriptedRng


def rolled(expression: str, *faces: int) -> tuple[int | float, str]:
    rng = ScriptedRng(*faces)
    result = roll(expression, rng=rng)  # type: ignore[arg-type]
    assert rng.exhausted, f"unused faces: {list(rng.faces)}"
    return result.total, result.expression


@pytest.mark.parametrize(
    ("expression", "faces", "total", "normalised"),
    [
        # Keep/drop on one literal die keeps nothing, as (1)d20dh1 and the stats say.
        ("1d20dh1", (17,), 0, "1d20dh1"),
        ("1d20d1", (17,), 0, "1d20dl1"),
        ("1d6kh0", (5,), 0, "1d6kh0"),
        ("1d20kh1", (17,), 17, "1d20kh1"),
        ("(1)d20dh1", (17,), 0, "(1)d20dh1"),
        # A constant in a single-roll group is added to each die (Roll20's examples).
        ("{3d20+5}>21", (16, 17, 1), 2, "{3d20 + 5}>21"),
        ("{3d6+1}<3", (1, 2, 3), 2, "{3d6 + 1}<3"),
        ("{2d6+1d8-1}kh1", (2, 3, 8), 7, "{2d6 + 1d8 - 1}kh1"),
        # A bare r rerolls ones.
        ("8d6r", (1, 2, 3, 4, 5, 6, 1, 6, 2, 3), 31, "8d6r1"),
        ("2d6ro", (1, 1, 3), 4, "2d6ro1"),
        # Matching dice: m marks, mt counts sets, mN sets of N, m>N only values N+.
        ("6d6m", (2, 5, 5, 2, 3, 5), 22, "6d6m"),
        ("6d6mt", (2, 5, 5, 2, 3, 5), 2, "6d6mt"),
        ("6d6mt3", (2, 5, 5, 2, 3, 5), 1, "6d6mt3"),
        ("6d6mt>4", (2, 5, 5, 2, 3, 5), 1, "6d6mt>4"),
        ("6d6mt<2", (2, 5, 5, 2, 3, 5), 1, "6d6mt<2"),
        ("4d6mt", (1, 2, 3, 4), 0, "4d6mt"),
        ("4d6kh2mt", (6, 6, 6, 1), 1, "4d6kh2mt"),
        # Computed counts and sizes are rounded as Roll20 does.
        ("(5/2)d6", (1, 2, 3), 6, "(5 / 2)d6"),
        ("(7/3)d6", (4, 4), 8, "(7 / 3)d6"),
        ("1d(9/2)", (5,), 5, "1d(9 / 2)"),
        # Inline rolls inside a roll are rolled first, innermost first.
        ("3d6>[[1+3]]", (4, 3, 6), 2, "3d6>4"),
        ("1d20+[[1d4]]", (3, 12), 15, "1d20 + 3"),
        ("[[ 3d6>[[1+3]] ]]", (4, 3, 6), 2, "2"),
        ("[[1d4]]d6", (2, 6, 6), 12, "2d6"),
        ("[[1-3]]+5", (), 3, "(-2) + 5"),
    ],
)
def test_roll20_rolls(expression: str, faces: tuple[int, ...], total: int, normalised: str) -> None:
    assert rolled(expression, *faces) == (total, normalised)


@pytest.mark.parametrize(
    ("expression", "low", "high"),
    [
        ("1d20dh1", 0, 0),
        ("1d6kh0", 0, 0),
        ("{3d20+5}>21", 0, 3),
        ("{3d6+1}<3", 0, 3),
        ("(5/2)d6", 3, 18),
        ("8d6r", 16, 48),
    ],
)
def test_stats_and_bounds_agree_with_the_rolls(expression: str, low: int, high: int) -> None:
    dist = distribution(expression)
    assert (dist.min, dist.max) == (low, high)
    assert bounds(expression) == (low, high)


def test_per_die_group_stats_add_the_constant_to_each_die() -> None:
    # P(one d20 + 5 >= 21) = 5/20, for each of three dice.
    dist = distribution("{3d20+5}>21")
    assert dist.mean == pytest.approx(3 * 5 / 20)
    assert distribution("{3d6+1}<3").mean == pytest.approx(3 * 2 / 6)


def test_fuzz_finding_per_die_group_rerolling_every_face() -> None:
    # Found by bench/dice/fuzz.py: the per-die stats skipped the endless-reroll check
    # and divided by zero.
    with pytest.raises(DiceRuleError, match="never stop"):
        distribution("{8d5r<=5}dh")


def test_matching_dice_are_flagged_and_rendered() -> None:
    result = roll("6d6m", rng=ScriptedRng(2, 5, 5, 2, 3, 5))  # type: ignore[arg-type]
    assert [d.matched for d in result.terms()[0].dice] == [True, True, True, True, False, True]
    assert bounds("8d6mt3") == (0, 2)
    with pytest.raises(IntractableError, match="matches"):
        distribution("6d6mt")
    assert distribution("6d6m").mean == pytest.approx(21)  # m only highlights


@pytest.mark.parametrize(
    ("expression", "error", "message"),
    [
        ("6d6m1", DiceRuleError, "at least 2"),
        ("6d6mmt", DiceSyntaxError, "only one match"),
        ("6d6>4mt", DiceSyntaxError, "cannot be combined"),
        ("{6d6}mt", DiceSyntaxError, "cannot be used on a group"),
        ("[[1d6", DiceSyntaxError, "closing"),
        ("[[1]]" * 21, DiceError, "Too many inline rolls"),
    ],
)
def test_roll20_refusals(expression: str, error: type[DiceError], message: str) -> None:
    with pytest.raises(error, match=message):
        roll(expression, rng=random.Random(1))


def test_inline_rolls_of_a_message_share_one_dice_budget() -> None:
    text = "[[600d6]] and [[600d6]]"
    with pytest.raises(DiceError, match="Too many dice"):
        roll_inline(text, rng=random.Random(1))
    assert len(roll_inline("[[500d6]] and [[500d6]]", rng=random.Random(1))) == 2


def test_nested_inline_roll_in_a_message() -> None:
    [found] = roll_inline("hit [[ 3d6>[[1+3]] ]]!", rng=ScriptedRng(4, 3, 6))  # type: ignore[arg-type]
    assert found.result.total == 2
    assert found.span.expression == " 3d6>[[1+3]] "


@pytest.mark.parametrize(
    ("expression", "spelling"),
    [
        ("4d6 k3", "4d6k3"),
        ("4d6 kh3", "4d6kh3"),
        ("6d6 t4", "6d6>4"),
        ("1d20 >15 DC", "1d20>15"),
        ("3d6 !", "3d6!"),
        ("6 4d6", "repeat option"),
        ("1d20 1d6", "1d20+1d6"),
        ("+d20", "2d20kh1"),
        ("-d20+5", "2d20kl1"),
        ("4d6k>3", "khN"),
        ("4d6d>3", "khN"),
        ("4d6kl<2", "khN"),
    ],
)
def test_other_dialects_are_refused_with_the_roll20_spelling(
    expression: str, spelling: str
) -> None:
    with pytest.raises(DiceSyntaxError) as info:
        roll(expression, rng=random.Random(1))
    assert spelling in info.value.message


@pytest.mark.parametrize(
    ("expression", "comment"),
    [
        ("1d20+5 Attack", "Attack"),
        ("1d20 to hit", "to hit"),
        ("2d6 fire damage", "fire damage"),
        ("1d20 dodge", "dodge"),
        ("-1d20 penalty", "penalty"),
    ],
)
def test_plain_comments_still_work(expression: str, comment: str) -> None:
    assert roll(expression, rng=random.Random(1)).comment == comment


@pytest.mark.parametrize(
    ("expression", "expected"),
    [
        ("10**99", (10**99, 10**99)),  # exact, not a float
        ("3**200", (3**200, 3**200)),
        ("(1d6)**(10**9)", (1, 10**100)),  # a 1 stays 1; the rest is past the bound
        ("9*10**99+9*10**99-9*10**99", (9 * 10**99, 9 * 10**99)),  # a sum is bounded at its end
        ("1d20/(1d6-1)", (-(10**100), 10**100)),  # finite even when the divisor may be 0
        ("2**0.5", (2**0.5, 2**0.5)),
    ],
)
def test_bounds_are_exact_and_finite(expression: str, expected: tuple[float, float]) -> None:
    assert bounds(expression) == expected


@pytest.mark.parametrize("expression", ["2**(10**9)", "10**101", "-(2**2000)+2**2000"])
def test_bounds_refuse_what_every_roll_refuses(expression: str) -> None:
    with pytest.raises(DiceError, match="too large"):
        bounds(expression)
    with pytest.raises(DiceError, match="too large"):
        roll(expression, rng=random.Random(1))
