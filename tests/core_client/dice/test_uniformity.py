"""Chi-square uniformity of the dice, on a large sample with a fixed seed."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from core_client.dice import roll

# Critical values of the chi-square distribution at a 0.001 significance level.
CRITICAL = {5: 20.515, 19: 43.820, 2: 13.816, 99: 148.230}


@pytest.mark.parametrize(
    ("expression", "sides", "rolls"),
    [("1000d6", 6, 60), ("1000d20", 20, 100), ("1000dF", 3, 30), ("1000d%", 100, 100)],
)
def test_faces_are_uniform(expression: str, sides: int, rolls: int) -> None:
    rng = random.Random(20240601)
    counts: Counter[int] = Counter()
    for _ in range(rolls):
        for term in roll(expression, rng=rng).terms():
            counts.update(d.value for d in term.dice)
    draws = rolls * 1000
    assert len(counts) == sides
    expected = draws / sides
    chi_square = sum((observed - expected) ** 2 / expected for observed in counts.values())
    assert chi_square < CRITICAL[sides - 1]
