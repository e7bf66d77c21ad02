"""Exact statistics: known distributions, agreement with sampling, bounds, limits."""

from __future__ import annotations

import random
from collections import Counter

import pytest

from core_client.dice import (
    Distribution,
    IntractableError,
    Limits,
    bounds,
    distribution,
    roll,
)
from core_client.dice.errors import DiceMathError


@pytest.mark.parametrize(
    ("expression", "mean", "low", "high"),
    [
        ("1d20+5", 15.5, 6, 25),
        ("4d6kh3", 12.2446, 3, 18),
        ("2d20kh1", 13.825, 1, 20),
        ("2d20kl1", 7.175, 1, 20),
        ("8d6", 28, 8, 48),
        ("4dF", 0, -4, 4),
        ("d%", 50.5, 1, 100),
        ("1d6r1", 4, 2, 6),
        ("1d6ro1", 3.9167, 1, 6),
        ("3d6>4", 1.5, 0, 3),
        ("(1d4)d6", 8.75, 1, 24),
        ("1d6xo", 4.0833, 1, 12),
        ("4d6dl1dh1", 7, 2, 12),
        ("1d20/2", 5.25, 0.5, 10),
        ("4d6mi3", 16, 12, 24),  # mi3 turns a d6 into 3, 3, 3, 4, 5, 6: mean 4
    ],
)
def test_known_means(expression: str, mean: float, low: float, high: float) -> None:
    dist = distribution(expression)
    assert dist.mean == pytest.approx(mean, abs=1e-4)
    assert (dist.min, dist.max) == (low, high)
    assert dist.at_least(dist.min) == pytest.approx(1.0)


@pytest.mark.parametrize(("expression", "mean"), [("1d6!", 4.2), ("1d6!!", 4.2), ("1d6!p", 4.0)])
def test_exploding_means(expression: str, mean: float) -> None:
    assert distribution(expression).mean == pytest.approx(mean, abs=1e-9)


def test_probabilities_of_2d6() -> None:
    dist = distribution("2d6")
    assert dist.probability(7) == pytest.approx(6 / 36)
    assert dist.at_least(10) == pytest.approx(6 / 36)
    assert dist.at_most(3) == pytest.approx(3 / 36)
    assert dist.stdev == pytest.approx((35 / 6) ** 0.5)
    rows = dist.table()
    assert rows[0] == (2, pytest.approx(1 / 36), pytest.approx(1.0))
    assert rows[-1] == (12, pytest.approx(1 / 36), pytest.approx(1 / 36))


def test_advantage_distribution() -> None:
    from core_client.dice import Advantage

    assert distribution("1d20", advantage=Advantage.ADVANTAGE).mean == pytest.approx(13.825)


@pytest.mark.parametrize(
    "expression",
    [
        "{4d6+3d8}kh1",
        "{4d6, 3d8}kh1",
        "{1d20+5, 1d20+2}>15",
        "10d10>7f1",
        "4d6kh3+1d4",
        "2d6!!kh1",  # 3d6!!kh2 now costs more than the stats budget (issue #14)
        "{2d6!!}>5",
        "2d6mi2ma5",
        "2d(1d4+2)",
        "floor(2d6/3)*2-1",
        "1d6 % 4",
        "2 ** 1d4",
        "8d6r1r2kl3",
        "{1d6, 1d8, 1d10}dl1dh1",
    ],
)
def test_agrees_with_sampling(expression: str) -> None:
    dist = distribution(expression)
    rng = random.Random(99)
    samples = 20_000
    counts = Counter(roll(expression, rng=rng).total for _ in range(samples))
    mean = sum(v * c for v, c in counts.items()) / samples
    assert mean == pytest.approx(dist.mean, abs=4 * dist.stdev / samples**0.5 + 1e-9)
    assert min(counts) >= dist.min
    assert max(counts) <= dist.max
    for value, count in counts.items():
        assert dist.probability(value) > 0, value
        # Every frequent total's share is close to its exact probability.
        if count > 500:
            assert count / samples == pytest.approx(dist.probability(value), abs=0.02)


def test_distribution_bounds_match_interval_bounds() -> None:
    for expression in ["4d6kh3", "2d20kh1+5", "3d6>4f1", "4dF", "1d20/2"]:
        dist = distribution(expression)
        assert bounds(expression) == (dist.min, dist.max)


@pytest.mark.parametrize(
    ("expression", "message"),
    [
        ("3d6!kh2", "explode into separate dice"),
        ("1000d1000kh500", "too costly"),
        ("1d100!>2", "too often"),
        ("20d20*20d20*20d20", "too costly"),
    ],
)
def test_intractable(expression: str, message: str) -> None:
    with pytest.raises(IntractableError, match=message):
        distribution(expression)


def test_work_limit_is_configurable() -> None:
    with pytest.raises(IntractableError):
        distribution("10d10", Limits(max_stats_work=10))


def test_possible_division_by_zero() -> None:
    with pytest.raises(DiceMathError):
        distribution("1/(1d2-1)")


def test_distribution_is_normalised() -> None:
    dist = distribution("1d6!p")
    assert sum(p for _, p in dist.outcomes) == pytest.approx(1.0)
    assert isinstance(dist, Distribution)
