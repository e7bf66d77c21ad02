"""The direct roller of `NdX ± numbers` builds what the general way builds.

Each roll is made twice from equal draws: by `roll()`, which takes the direct
roller when there is one, and by `roll_in()` in a `Context`, which always runs
the general compiled program; the two result trees must print the same.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_client.dice import DiceLimitError, Limits, render_markdown, roll
from core_client.dice.context import Context
from core_client.dice.program import compile_roll, roll_in
from core_client.dice.results import Chain, RollResult

from .scripted import ScriptedRng

PROFILE = settings(max_examples=200, deadline=None, derandomize=True)

DIRECT = [
    "1d20", "d20", "1d20+5", "d20-2", "1d20 + 5 Attack", "1d20[fire]+5[str]", "d%", "d%+1",
    "1d12+3-1", "2d6+3", "8d6", "3d20", "10d6 Fireball", "1d1", "1d10000+0",
]  # fmt: skip
GENERAL = [
    "1d20kh1", "2d20kh1+7", "1d20+1.5", "1d20*2", "(1d20+5)*2", "0d6", "1dF", "4dF",
    "1d20+1d4", "5+1d20", "-0+1d4", "1d20!", "3d6>4", "1d20cs>19", "(1)d20", "1d(20)",
]  # fmt: skip


def both_ways(expression: str, seed: int, limits: Limits | None = None) -> tuple[str, str]:
    direct = roll(expression, rng=random.Random(seed), limits=limits)
    ctx = Context(random.Random(seed).randrange, limits or Limits())
    general = roll_in(expression, ctx)
    return _dump(direct), _dump(general)


def _dump(result: RollResult) -> str:
    return f"{result!r} {result.terms()!r} {render_markdown(result)}"


@pytest.mark.parametrize("expression", DIRECT)
def test_direct_shapes_take_the_direct_roller(expression: str) -> None:
    assert compile_roll(expression).direct is not None


@pytest.mark.parametrize("expression", GENERAL)
def test_other_shapes_go_the_general_way(expression: str) -> None:
    assert compile_roll(expression).direct is None


@pytest.mark.parametrize("expression", DIRECT + GENERAL)
def test_both_ways_build_the_same_result(expression: str) -> None:
    for seed in range(30):
        direct, general = both_ways(expression, seed)
        assert direct == general


@PROFILE
@given(
    st.integers(1, 12),
    st.sampled_from(["2", "4", "6", "8", "10", "12", "20", "100", "%"]),
    st.lists(st.tuples(st.sampled_from("+-"), st.integers(0, 10**6)), max_size=3),
    st.integers(0, 2**32),
)
def test_any_plain_sum_builds_the_same_result(
    count: int, sides: str, numbers: list[tuple[str, int]], seed: int
) -> None:
    expression = f"{count}d{sides}" + "".join(f"{op}{n}" for op, n in numbers)
    direct, general = both_ways(expression, seed)
    assert direct == general


@pytest.mark.parametrize(
    ("faces", "crit", "fumble"), [((20,), True, False), ((1,), False, True), ((7,), False, False)]
)
def test_a_d20_sets_crit_and_fumble(faces: tuple[int, ...], crit: bool, fumble: bool) -> None:
    result = roll("1d20+5", rng=ScriptedRng(*faces))  # type: ignore[arg-type]
    assert (result.crit, result.fumble) == (crit, fumble)
    other = roll("1d12+5", rng=ScriptedRng(12))  # type: ignore[arg-type]
    assert (other.crit, other.fumble) == (False, False)
    both = roll("2d20", rng=ScriptedRng(1, 20))  # type: ignore[arg-type]
    assert (both.crit, both.fumble) == (True, True)


def test_a_result_is_never_shared_with_the_next_roll() -> None:
    rng = random.Random(3)
    first = roll("1d20+5", rng=rng)
    assert isinstance(first.tree, Chain)
    first.tree.rest.clear()
    second = roll("1d20+5", rng=rng)
    assert isinstance(second.tree, Chain)
    assert len(second.tree.rest) == 1


def test_the_limits_still_hold() -> None:
    limits = Limits(max_dice=9, max_digits=3)
    with pytest.raises(DiceLimitError, match="Too many dice"):
        roll("10d6", rng=random.Random(1), limits=limits)
    assert compile_roll("1d20+900", limits).direct is not None  # at most 920
    assert compile_roll("1d200+900", limits).direct is None  # may pass 10**3
    with pytest.raises(DiceLimitError, match="too large"):
        roll("1d200+900", rng=ScriptedRng(150), limits=limits)  # type: ignore[arg-type]
    direct, general = both_ways("9d6+1", 5, limits)
    assert direct == general
