"""The public `roll` API on the basic notation: NdX, constants, keep/drop, comments."""

from __future__ import annotations

import random
from typing import Any

import pytest

from core_client.dice import DiceTerm, Die, Limits, RollResult, roll, roll_many
from core_client.dice.errors import DiceError, DiceLimitError

from .scripted import ScriptedRng, fate


def rolled(expression: str, *faces: int, **kwargs: Any) -> RollResult:
    rng = ScriptedRng(*faces)
    result = roll(expression, rng=rng, **kwargs)  # type: ignore[arg-type]
    assert rng.exhausted, f"unused faces: {list(rng.faces)}"
    return result


def values(term: DiceTerm) -> list[tuple[int, bool]]:
    return [(d.value, d.kept) for d in term.dice]


@pytest.mark.parametrize(
    ("expression", "faces", "total", "normalised"),
    [
        ("1d20", (7,), 7, "1d20"),
        ("d20", (7,), 7, "1d20"),
        ("D20", (7,), 7, "1d20"),
        ("1d20+5", (7,), 12, "1d20 + 5"),
        ("1d20 - 2", (7,), 5, "1d20 - 2"),
        ("2d6+1d4+3", (2, 5, 4), 14, "2d6 + 1d4 + 3"),
        ("3d6", (1, 2, 3), 6, "3d6"),
        ("0d6", (), 0, "0d6"),
        ("5", (), 5, "5"),
        ("-1d4", (3,), -3, "-1d4"),
        ("2d20kh1", (3, 20), 20, "2d20kh1"),
        ("2d20kl1", (3, 20), 3, "2d20kl1"),
        ("4d6kh3", (1, 5, 3, 6), 14, "4d6kh3"),
        ("4d6k3", (1, 5, 3, 6), 14, "4d6kh3"),
        ("4d6K3", (1, 5, 3, 6), 14, "4d6kh3"),
        ("4d6dl1", (1, 5, 3, 6), 14, "4d6dl1"),
        ("4d6d1", (1, 5, 3, 6), 14, "4d6dl1"),
        ("4d6dh1", (1, 5, 3, 6), 9, "4d6dh1"),
        ("4d6kl2", (1, 5, 3, 6), 4, "4d6kl2"),
        ("4d6pl1", (1, 5, 3, 6), 14, "4d6dl1"),
        ("4d6ph1", (1, 5, 3, 6), 9, "4d6dh1"),
        ("4d6dl1dh1", (1, 5, 3, 6), 8, "4d6dl1dh1"),
        ("2d6k", (2, 5), 5, "2d6kh1"),
        ("d%", (100,), 100, "1d%"),
        ("4dF", fate(-1, 0, 1, 1), 1, "4dF"),
        ("4df", fate(-1, -1, -1, 0), -3, "4dF"),
        ("(1+2)d6", (1, 2, 3), 6, "(1 + 2)d6"),
        ("2d(3*2)", (6, 6), 12, "2d(3 * 2)"),
        ("(1d4)d6", (2, 5, 6), 11, "(1d4)d6"),
    ],
)
def test_totals(expression: str, faces: tuple[int, ...], total: int, normalised: str) -> None:
    result = rolled(expression, *faces)
    assert result.total == total
    assert result.expression == normalised
    assert result.comment is None


def test_keep_marks_dropped_dice() -> None:
    result = rolled("2d20kh1+5", 3, 20)
    (term,) = result.terms()
    assert term.notation == "2d20kh1"
    assert (term.count, term.sides, term.subtotal) == (2, 20, 20)
    assert values(term) == [(3, False), (20, True)]
    assert term.dice[1].crit
    assert not term.dice[0].crit
    assert result.crit
    assert not result.fumble


def test_ties_keep_the_earliest_die() -> None:
    term = rolled("3d6kh2", 4, 4, 4).terms()[0]
    assert values(term) == [(4, True), (4, True), (4, False)]
    term = rolled("3d6dl1", 4, 4, 4).terms()[0]
    assert values(term) == [(4, True), (4, True), (4, False)]
    term = rolled("3d6r1dl1", 4, 4, 4).terms()[0]  # the general path agrees
    assert values(term) == [(4, True), (4, True), (4, False)]
    group = rolled("{1d6, 1d6, 1d6}dh1", 4, 4, 4)
    assert group.total == 8


def test_die_fields() -> None:
    die = rolled("1d6", 6).terms()[0].dice[0]
    twin = rolled("1d6", 6).terms()[0].dice[0]
    # Dice compare by identity: two dice showing the same face stay distinct, so
    # keep/drop and list.remove() act on the die meant, not on an equal-looking one.
    assert die != twin
    assert [die, twin].index(twin) == 1
    assert isinstance(die, Die)
    assert (die.sides, die.value, die.natural, die.kept) == (6, 6, 6, True)
    assert (die.crit, die.fumble, die.exploded, die.rerolled) == (True, False, False, False)


def test_percentile_and_fate_sides() -> None:
    assert rolled("d%", 1).terms()[0].sides == 100
    fate_term = rolled("1dF", *fate(1)).terms()[0]
    assert fate_term.sides == "F"
    assert fate_term.dice[0].crit


@pytest.mark.parametrize(
    ("faces", "crit", "fumble"),
    [((20,), True, False), ((1,), False, True), ((10,), False, False)],
)
def test_natural_crit_and_fumble_on_d20(faces: tuple[int, ...], crit: bool, fumble: bool) -> None:
    result = rolled("1d20+5", *faces)
    assert (result.crit, result.fumble) == (crit, fumble)


def test_dropped_d20_does_not_crit() -> None:
    result = rolled("2d20kl1", 20, 5)
    assert not result.crit
    assert rolled("2d20kh1", 1, 5).fumble is False


def test_only_d20_crits_by_default() -> None:
    result = rolled("1d6+1d8", 6, 1)
    assert not result.crit
    assert not result.fumble


@pytest.mark.parametrize(
    ("text", "normalised", "comment"),
    [
        ("1d20+5 Initiative", "1d20 + 5", "Initiative"),
        ("1d20 + 5   Roll for initiative!  ", "1d20 + 5", "Roll for initiative!"),
        ("  d20 Stealth", "1d20", "Stealth"),
        ("2d6 fire damage", "2d6", "fire damage"),
        ("1d20+5[STR] attack", "1d20 + 5[STR]", "attack"),
    ],
)
def test_comment(text: str, normalised: str, comment: str) -> None:
    result = roll(text, rng=random.Random(1))
    assert result.expression == normalised
    assert result.comment == comment


def test_labels() -> None:
    result = rolled("2d6[fire] + 1d4[cold] + 2[bonus]", 1, 2, 3)
    fire, cold = result.terms()
    assert (fire.label, cold.label) == ("fire", "cold")
    assert result.total == 8
    assert result.expression == "2d6[fire] + 1d4[cold] + 2[bonus]"


def test_terms_in_evaluation_order() -> None:
    result = rolled("1d4 + (1d6)d8 + 1d10", 1, 2, 3, 4, 5)
    assert [t.notation for t in result.terms()] == ["1d4", "1d6", "(1d6)d8", "1d10"]
    assert result.total == 1 + 3 + 4 + 5


def test_terms_returns_a_copy() -> None:
    result = rolled("1d4", 1)
    result.terms().clear()
    assert len(result.terms()) == 1


def test_seeded_random_is_reproducible() -> None:
    first = roll("10d6+1d20", rng=random.Random(42))
    second = roll("10d6+1d20", rng=random.Random(42))
    assert first.total == second.total
    assert [d.value for d in first.terms()[0].dice] == [d.value for d in second.terms()[0].dice]


def test_system_random_works() -> None:
    result = roll("4d6kh3", rng=random.SystemRandom())
    assert 3 <= result.total <= 18


def test_roll_many() -> None:
    results = roll_many("4d6kh3", 6, rng=random.Random(3))
    assert len(results) == 6
    assert all(3 <= r.total <= 18 for r in results)


@pytest.mark.parametrize("times", [0, -1, 21])
def test_roll_many_is_bounded(times: int) -> None:
    with pytest.raises(DiceLimitError):
        roll_many("1d6", times, rng=random.Random(3))


def test_roll_many_custom_limit() -> None:
    with pytest.raises(DiceLimitError):
        roll_many("1d6", 3, rng=random.Random(3), limits=Limits(max_repeat=2))


def test_custom_limits_are_applied_even_when_cached() -> None:
    rng = random.Random(1)
    roll("30d6", rng=rng)
    with pytest.raises(DiceLimitError):
        roll("30d6", rng=rng, limits=Limits(max_dice=10))
    assert roll("30d6", rng=rng, limits=Limits(max_dice=30)).total >= 30


def test_error_is_a_dice_error() -> None:
    with pytest.raises(DiceError):
        roll("1d", rng=random.Random(1))
