"""Discrete probability distributions of roll totals, and the algebra to combine them.

Probabilities are floats computed by exact enumeration (no sampling). A shared
`Work` counter bounds the effort so no expression can make statistics run away.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from .arithmetic import Number
from .errors import IntractableError

Outcomes = dict[Number, float]


class Work:
    """Counts elementary steps and refuses to go past a budget."""

    __slots__ = ("budget", "spent")

    def __init__(self, budget: int) -> None:
        self.budget = budget
        self.spent = 0

    def spend(self, steps: int, what: str = "this expression") -> None:
        """Record `steps` of work, or raise when the budget would be exceeded."""
        self.spent += steps
        if self.spent > self.budget:
            raise IntractableError(
                f"The exact statistics of {what} are too costly to compute "
                f"(more than {self.budget:,} steps)"
            )


def point(value: Number) -> Outcomes:
    """Return the distribution of a constant."""
    return {value: 1.0}


def uniform(values: Iterable[int]) -> Outcomes:
    """Return the uniform distribution over `values`."""
    faces = list(values)
    return dict.fromkeys(faces, 1.0 / len(faces))


def combine(
    left: Outcomes, right: Outcomes, op: Callable[[Number, Number], Number], work: Work
) -> Outcomes:
    """Return the distribution of `op(x, y)` for independent x and y."""
    work.spend(len(left) * len(right))
    result: Outcomes = {}
    for x, px in left.items():
        for y, py in right.items():
            value = op(x, y)
            result[value] = result.get(value, 0.0) + px * py
    return result


def add(left: Outcomes, right: Outcomes, work: Work) -> Outcomes:
    """Return the distribution of the sum of two independent variables."""
    return combine(left, right, _plus, work)


def _plus(x: Number, y: Number) -> Number:
    return x + y


def transform(outcomes: Outcomes, function: Callable[[Number], Number], work: Work) -> Outcomes:
    """Return the distribution of `function(x)`."""
    work.spend(len(outcomes))
    result: Outcomes = {}
    for x, p in outcomes.items():
        value = function(x)
        result[value] = result.get(value, 0.0) + p
    return result


def repeat_sum(outcomes: Outcomes, times: int, work: Work) -> Outcomes:
    """Return the distribution of the sum of `times` independent copies."""
    result = point(0)
    power = outcomes
    while times:  # binary exponentiation: log2(times) convolutions of growing size
        if times & 1:
            result = add(result, power, work)
        times >>= 1
        if times:
            power = add(power, power, work)
    return result


def mixture(parts: Iterable[tuple[float, Outcomes]], work: Work) -> Outcomes:
    """Return the weighted mixture of distributions."""
    result: Outcomes = {}
    for weight, outcomes in parts:
        work.spend(len(outcomes))
        for value, p in outcomes.items():
            result[value] = result.get(value, 0.0) + weight * p
    return result


@dataclass(frozen=True)
class Distribution:
    """The exact distribution of an expression's total."""

    expression: str
    outcomes: tuple[tuple[Number, float], ...]  # sorted by value, probabilities sum to 1

    @classmethod
    def of(cls, expression: str, outcomes: Outcomes) -> Distribution:
        """Build a distribution from a value-to-probability mapping."""
        total = math.fsum(outcomes.values())
        cleaned = sorted((v, p / total) for v, p in outcomes.items() if p > 0)
        return cls(expression, tuple(cleaned))

    @property
    def min(self) -> Number:
        """Return the smallest possible total."""
        return self.outcomes[0][0]

    @property
    def max(self) -> Number:
        """Return the largest possible total."""
        return self.outcomes[-1][0]

    @property
    def mean(self) -> float:
        """Return the expected total."""
        return math.fsum(v * p for v, p in self.outcomes)

    @property
    def stdev(self) -> float:
        """Return the standard deviation of the total."""
        mean = self.mean
        return math.sqrt(math.fsum(p * (v - mean) ** 2 for v, p in self.outcomes))

    def probability(self, value: Number) -> float:
        """Return P(total == value)."""
        return math.fsum(p for v, p in self.outcomes if v == value)

    def at_least(self, value: Number) -> float:
        """Return P(total >= value)."""
        return min(1.0, math.fsum(p for v, p in self.outcomes if v >= value))

    def at_most(self, value: Number) -> float:
        """Return P(total <= value)."""
        return min(1.0, math.fsum(p for v, p in self.outcomes if v <= value))

    def table(self) -> list[tuple[Number, float, float]]:
        """Return (value, P(total == value), P(total >= value)) for every possible value."""
        rows = []
        tail = 0.0
        for value, p in reversed(self.outcomes):  # summing from the top keeps tails accurate
            tail += p
            rows.append((value, p, min(1.0, tail)))
        rows.reverse()
        return rows
