"""The pure-Python chi-square p-value against published table values."""

from __future__ import annotations

import math

import pytest
from hypothesis import given
from hypothesis import strategies as st

from storage import chisquare


@pytest.mark.parametrize(
    ("chi2", "dof", "p"),
    [
        (3.841459, 1, 0.05),  # the classic 95% critical value
        (6.634897, 1, 0.01),
        (30.143527, 19, 0.05),  # d20 faces: 19 degrees of freedom
        (36.190869, 19, 0.01),
        (43.820196, 19, 0.001),
        (18.337707, 19, 0.5),
        (0.5, 2, math.exp(-0.25)),  # dof 2 has the closed form exp(-x/2)
        (0.0, 19, 1.0),
        (500.0, 19, 0.0),
    ],
)
def test_p_value_matches_tables(chi2: float, dof: int, p: float) -> None:
    assert chisquare.p_value(chi2, dof) == pytest.approx(p, rel=1e-5, abs=1e-12)


def test_uniform_test_of_flat_counts_is_zero() -> None:
    assert chisquare.uniform_test([5] * 20) == (0.0, 19, 1.0)


def test_non_positive_degrees_of_freedom_are_refused() -> None:
    with pytest.raises(ValueError, match="degrees of freedom"):
        chisquare.p_value(1.0, 0)


@given(
    st.floats(min_value=0.0, max_value=400.0),
    st.floats(min_value=0.0, max_value=400.0),
    st.integers(min_value=1, max_value=60),
)
def test_p_value_is_a_probability_falling_with_the_statistic(a: float, b: float, dof: int) -> None:
    low, high = sorted((a, b))
    p_low, p_high = chisquare.p_value(low, dof), chisquare.p_value(high, dof)
    assert 0.0 <= p_high <= p_low + 1e-12  # the two series meet at x = a + 1
    assert p_low <= 1.0


@given(st.lists(st.integers(min_value=0, max_value=50), min_size=20, max_size=20))
def test_uniform_test_agrees_with_the_closed_form_statistic(counts: list[int]) -> None:
    if sum(counts) == 0:
        return
    chi2, dof, p = chisquare.uniform_test(counts)
    expected = sum(counts) / 20
    assert chi2 == pytest.approx(sum((c - expected) ** 2 / expected for c in counts))
    assert dof == 19
    assert 0.0 <= p <= 1.0
