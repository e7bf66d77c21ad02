"""Markdown rendering: marks, escaping, and the length budget."""

from __future__ import annotations

import random

import pytest

from core_client.dice import Limits, RollResult, render_markdown, roll

from .scripted import ScriptedRng


def rolled(expression: str, *faces: int) -> RollResult:
    return roll(expression, rng=ScriptedRng(*faces))  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("expression", "faces", "expected"),
    [
        ("2d20kh1+5", (3, 20), "2d20kh1 (~~3~~, **20**) + 5 = `25`"),
        ("1d20+5 Initiative", (12,), "1d20 (12) + 5 = `17`"),
        ("1d6!", (6, 2), "1d6! (**6**!, 2)"),
        ("1d6r1", (1, 4), "1d6r1 (~~**1**~~, 4) = `4`"),
        ("3d10>8f1", (9, 1, 5), "3d10>8f1 (__9__, ***1***, 5) = `0`"),
        ("2 * 3", (), "2 \\* 3 = `6`"),
        ("7/2", (), "7 / 2 = `3.5`"),
        ("1/3", (), "1 / 3 = `0.3333`"),
        ("{1d6, 1d6}kh1", (2, 5), "{~~1d6 (2)~~, 1d6 (5)}kh1 = `5`"),
        ("(1d4)d6", (2, 3, 6), "(1d4 (2))d6 (3, **6**) = `9`"),
        ("1d6[*fire*]", (3,), "1d6\\[\\*fire\\*\\] (3) = `3`"),
        ("floor(1d6/2)", (5,), "floor(1d6 (5) / 2) = `2`"),
    ],
)
def test_breakdown(expression: str, faces: tuple[int, ...], expected: str) -> None:
    text = render_markdown(rolled(expression, *faces))
    assert text.startswith(expected.split(" = ")[0])
    if " = " in expected:
        assert text == expected


@pytest.mark.parametrize("max_length", [4096, 2000, 500, 100, 40, 20, 12])
def test_huge_roll_fits_and_shows_total(max_length: int) -> None:
    result = roll("1000d6", rng=random.Random(5))
    text = render_markdown(result, max_length=max_length)
    assert len(text) <= max_length
    assert f"`{result.total}`" in text


def test_summary_levels() -> None:
    result = roll("1000d6", rng=random.Random(5))
    assert "more)" in render_markdown(result, max_length=2000)
    assert "1000 dice:" in render_markdown(result, max_length=60)


def test_long_expression_is_cut_but_total_kept() -> None:
    expression = "+".join(["1d6"] * 300)
    result = roll(expression, rng=random.Random(5), limits=Limits(max_input_length=2000))
    text = render_markdown(result, max_length=300)
    assert len(text) <= 300
    assert text.endswith(f" = `{result.total}`")
    assert "…" in text


def test_tiny_budget_still_has_total_digits() -> None:
    result = roll("1000d6", rng=random.Random(5))
    assert render_markdown(result, max_length=3) == f"`{result.total}`"[:3]
