"""Safety: every input is bounded work and fails only with a DiceError."""

from __future__ import annotations

import random
import time

import pytest

from core_client.dice import Limits, render_markdown, roll
from core_client.dice.errors import DiceError, DiceLimitError


def attempt(expression: str, limits: Limits | None = None) -> None:
    roll(expression, rng=random.Random(7), limits=limits)


def test_input_length() -> None:
    with pytest.raises(DiceLimitError, match="too long") as info:
        attempt("1+" * 600 + "1")
    assert info.value.column == 1001
    attempt("1+" * 499 + "1")


@pytest.mark.parametrize(
    "expression",
    [
        "(" * 51 + "1" + ")" * 51,
        "-" * 51 + "1",
        "2**" * 51 + "2",
        "{" * 51 + "1" + "}" * 51,
        "floor(" * 51 + "1" + ")" * 51,
        "(" * 51 + "1" + ")" * 51 + "d6",
        "1d" + "(" * 51 + "6" + ")" * 51,
    ],
)
def test_nesting_depth(expression: str) -> None:
    with pytest.raises(DiceLimitError, match="nested too deeply"):
        attempt(expression)


def test_nesting_at_the_limit_is_fine() -> None:
    attempt("(" * 50 + "1" + ")" * 50)
    attempt("-" * 50 + "1")


def test_custom_depth_limit() -> None:
    with pytest.raises(DiceLimitError):
        attempt("((1))", Limits(max_depth=1))


def test_very_long_chains_do_not_recurse() -> None:
    limits = Limits(max_input_length=200_000)
    result = roll("1+" * 60_000 + "1", rng=random.Random(1), limits=limits)
    assert result.total == 60_001
    text = render_markdown(result)
    assert len(text) <= 4096
    assert text.endswith("`60001`")


@pytest.mark.parametrize(
    "expression",
    [
        "9" * 101,
        "1." + "9" * 100,
        "1d" + "9" * 101,
        "1d6r" + "9" * 101,
        "1d6kh" + "9" * 101,
    ],
)
def test_huge_literals(expression: str) -> None:
    with pytest.raises(DiceLimitError, match="too long"):
        attempt(expression)


def test_literal_beyond_python_str_limit() -> None:
    with pytest.raises(DiceLimitError):
        attempt("9" * 5000, Limits(max_input_length=10_000))


@pytest.mark.parametrize(
    "expression",
    ["9999999d6", "1001d6", "600d6+600d6", "1000d6!", "1000d6r<5", "(999+2)d6", "{600d6, 600d6}"],
)
def test_dice_budget(expression: str) -> None:
    with pytest.raises(DiceLimitError, match="Too many dice"):
        attempt(expression)


def test_dice_budget_counts_rerolls_and_explosions() -> None:
    result = roll("1000d6", rng=random.Random(1))
    assert result.dice_rolled() == 1000
    with pytest.raises(DiceLimitError):
        attempt("10d6", Limits(max_dice=9))
    with pytest.raises(DiceLimitError):
        attempt("5d6!>2", Limits(max_dice=5))


def test_max_sides() -> None:
    attempt("1d10000")
    with pytest.raises(DiceLimitError):
        attempt("1d10001")
    with pytest.raises(DiceLimitError):
        attempt("1d7", Limits(max_sides=6))


@pytest.mark.parametrize(
    "expression",
    [
        "1000d10000kh500",
        "1d10000!>2",
        "1d(10000)r<9999",
        "1000d10000r<9999",
        "1d10000!!>2",
        "10**99**99**99",
        "{" * 25 + "1000d6" + "}kh1" * 25,
        "+".join(["1d(10000)r<9999"] * 50),
        "+".join(["(1d10000)d(10000)!>2"] * 40),
        "1000d6sdkh999dl998>3f1",
    ],
)
def test_worst_cases_are_quick(expression: str) -> None:
    start = time.perf_counter()
    try:
        result = roll(expression, rng=random.Random(3))
    except DiceError:
        pass
    else:
        assert result.dice_rolled() <= 1000
        assert len(render_markdown(result)) <= 4096
    assert time.perf_counter() - start < 1.0


def test_limits_are_validated() -> None:
    with pytest.raises(ValueError, match="max_depth"):
        Limits(max_depth=1000)
    with pytest.raises(ValueError, match="max_dice"):
        Limits(max_dice=0)
    with pytest.raises(ValueError, match="max_digits"):
        Limits(max_digits=400)


class RecordingRandom:
    """Wraps a Random and records which of its methods the engine uses."""

    def __init__(self, seed: int) -> None:
        self.inner = random.Random(seed)
        self.used: set[str] = set()

    def __getattr__(self, name: str) -> object:
        self.used.add(name)
        return getattr(self.inner, name)


def test_engine_uses_only_unbiased_integer_draws() -> None:
    rng = RecordingRandom(5)
    for expression in ["4d6kh3", "1d20+5", "3d6!r1", "4dF", "d%", "{1d6,1d8}kh1", "2d(3*2)"]:
        roll(expression, rng=rng)  # type: ignore[arg-type]
    # randrange draws by rejection sampling: no modulo bias; never seed() nor random().
    assert rng.used == {"randrange"}
