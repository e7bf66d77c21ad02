"""Pearson's chi-square goodness-of-fit test, in pure Python.

The p-value is the upper regularized incomplete gamma function
Q(k/2, x/2), computed by its series for small x and by Lentz's continued
fraction otherwise (Numerical Recipes, 6.2); both converge to double
precision in well under 200 terms for the degrees of freedom dice give.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

EPS = 1e-15
MAX_TERMS = 500
TINY = 1e-300


def statistic(observed: Sequence[int], expected: Sequence[float]) -> float:
    """Return the chi-square statistic of observed against expected counts."""
    return sum((o - e) ** 2 / e for o, e in zip(observed, expected, strict=True) if e > 0)


def p_value(chi2: float, dof: int) -> float:
    """Return P(X >= chi2) for X chi-square distributed with `dof` degrees of freedom."""
    if dof <= 0:
        raise ValueError("degrees of freedom must be positive")
    if chi2 <= 0:
        return 1.0
    return upper_gamma(dof / 2.0, chi2 / 2.0)


def upper_gamma(a: float, x: float) -> float:
    """Return the regularized upper incomplete gamma function Q(a, x)."""
    if x <= 0.0:  # also catches a subnormal statistic halved to zero
        return 1.0
    if x < a + 1.0:
        return max(0.0, 1.0 - _lower_series(a, x))
    return min(1.0, _upper_fraction(a, x))


def _prefix(a: float, x: float) -> float:
    return math.exp(-x + a * math.log(x) - math.lgamma(a))


def _lower_series(a: float, x: float) -> float:
    term = total = 1.0 / a
    n = a
    for _ in range(MAX_TERMS):
        n += 1.0
        term *= x / n
        total += term
        if abs(term) < abs(total) * EPS:
            break
    return total * _prefix(a, x)


def _upper_fraction(a: float, x: float) -> float:
    b = x + 1.0 - a
    c = 1.0 / TINY
    d = 1.0 / b
    h = d
    for i in range(1, MAX_TERMS):
        an = -i * (i - a)
        b += 2.0
        d = an * d + b
        d = TINY if abs(d) < TINY else d
        c = b + an / c
        c = TINY if abs(c) < TINY else c
        d = 1.0 / d
        delta = d * c
        h *= delta
        if abs(delta - 1.0) < EPS:
            break
    return h * _prefix(a, x)


def uniform_test(counts: Sequence[int]) -> tuple[float, int, float]:
    """Test counts per face against a fair die; return (chi2, dof, p-value)."""
    n = sum(counts)
    expected = [n / len(counts)] * len(counts)
    chi2 = statistic(counts, expected)
    dof = len(counts) - 1
    return chi2, dof, p_value(chi2, dof)
