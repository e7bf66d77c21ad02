"""Property and fuzz tests: totals stay within bounds; junk only raises DiceError."""

from __future__ import annotations

import math
import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from core_client.dice import DiceError, render_markdown, roll
from core_client.dice.bounds import bounds

PROFILE = settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)

MODIFIERS = [
    "kh1", "kl2", "k2", "dl1", "dh1", "!", "!!", "!p", "!>5", "xo", "r1", "ro1", "r<2",
    "mi2", "ma5", "s", "sd", "cs>5", "cf1", ">4", ">4f1", "<2", "=3",
]  # fmt: skip
SIDES = ["1", "2", "4", "6", "8", "10", "20", "%", "F"]

numbers = st.one_of(st.integers(0, 30).map(str), st.sampled_from(["0.5", "1.25", "2.0"]))
dice = st.builds(
    lambda count, sides, mods: f"{count}d{sides}{''.join(mods)}",
    st.sampled_from(["", "0", "1", "2", "3", "6"]),
    st.sampled_from(SIDES),
    st.lists(st.sampled_from(MODIFIERS), max_size=2),
)


def _compose(children: st.SearchStrategy[str]) -> st.SearchStrategy[str]:
    pair = st.tuples(children, st.sampled_from(["+", "-", "*", "/", "%", "**"]), children)
    group_mods = st.sampled_from(["", "kh1", "kl1", "dl1", ">3", ">3f1", "<5"])
    return st.one_of(
        pair.map(lambda t: f"{t[0]} {t[1]} {t[2]}"),
        children.map(lambda c: f"({c})"),
        children.map(lambda c: f"-{c}"),
        st.tuples(st.sampled_from(["floor", "ceil", "round", "abs"]), children).map(
            lambda t: f"{t[0]}({t[1]})"
        ),
        st.tuples(st.lists(children, min_size=1, max_size=3), group_mods).map(
            lambda t: "{" + ", ".join(t[0]) + "}" + t[1]
        ),
        st.tuples(children, st.sampled_from(SIDES[:7])).map(lambda t: f"({t[0]})d{t[1]}"),
    )


expressions = st.recursive(st.one_of(numbers, dice), _compose, max_leaves=6)


@PROFILE
@given(expressions, st.integers(0, 2**32))
def test_total_within_bounds(expression: str, seed: int) -> None:
    try:
        result = roll(expression, rng=random.Random(seed))
    except DiceError:
        return
    low, high = bounds(expression)
    slack = 1e-9 * max(1.0, abs(result.total))
    assert low - slack <= result.total <= high + slack, (expression, low, result.total, high)
    assert result.dice_rolled() <= 1000
    assert len(render_markdown(result, max_length=2000)) <= 2000


NOTATION_CHARS = "0123456789dD+-*/%(){}[],.!<>=khlrosfFxcmiapeu \t"


@PROFILE
@given(st.text(alphabet=NOTATION_CHARS, max_size=60))
def test_notation_fuzz_only_raises_dice_errors(text: str) -> None:
    _only_dice_errors(text)


@PROFILE
@given(st.text(max_size=200))
def test_text_fuzz_only_raises_dice_errors(text: str) -> None:
    _only_dice_errors(text)


def _only_dice_errors(text: str) -> None:
    try:
        result = roll(text, rng=random.Random(0))
    except DiceError as exc:
        message = str(exc)
        assert message.strip()
        return
    assert result.dice_rolled() <= 1000
    assert not (isinstance(result.total, float) and math.isnan(result.total))
    rendered = render_markdown(result, max_length=500)
    assert len(rendered) <= 500
