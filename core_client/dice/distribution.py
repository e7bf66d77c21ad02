"""Discrete probability distributions of roll totals, and the algebra to combine them.

Probabilities are floats computed by exact enumeration (no sampling). A shared
`Work` counter bounds the effort so no expression can make statistics run away:
a budget of elementary steps (deterministic), and a backstop of CPU time for the
calling thread, so `distribution()` answers or refuses within milliseconds.

Sums of integer-valued distributions, the bulk of the work, are convolved on dense
lists with C-level `map` over slices, several times faster than per-pair dict
updates; they are charged a fraction of a step per pair accordingly.
"""

from __future__ import annotations

import math
import operator
import time
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from itertools import accumulate, repeat

from .arithmetic import Number
from .errors import IntractableError

Outcomes = dict[Number, float]

# The backstop: a distribution never takes more of the thread's CPU. It sits at about
# four times what the whole step budget costs on the dev box, so the deterministic
# budget is what refuses an expression, not how busy or slow the machine is (at 6 ms
# the same expression was answered on a quiet box and refused at load average 12).
CPU_SECONDS = 0.025
# Relative costs, measured on the 2-core dev box, in steps of about 170 ns (the budget's
# unit): a pair combined by an operator with its bound check costs 370-670 ns; a pair
# summed in a dict ~350 ns; a value transformed ~250 ns; a pair of a dense convolution
# ~40 ns; a value of a uniform sum ~100 ns.
OPERATOR_STEPS_PER_PAIR = 4.0
PLUS_STEPS_PER_PAIR = 2.0
TRANSFORM_STEPS_PER_VALUE = 1.5
DENSE_STEPS_PER_PAIR = 0.25
UNIFORM_STEPS_PER_VALUE = 0.6


class Work:
    """Counts elementary steps and refuses to go past a budget or a CPU deadline."""

    __slots__ = ("budget", "deadline", "spent")

    def __init__(self, budget: int, seconds: float = CPU_SECONDS) -> None:
        self.budget = budget
        self.spent = 0.0
        self.deadline = time.thread_time() + seconds

    def spend(self, steps: float, what: str = "this expression") -> None:
        """Record `steps` of work, or raise when the budget would be exceeded."""
        self.spent += steps
        if self.spent > self.budget:
            raise IntractableError(
                f"The exact statistics of {what} are too costly to compute "
                f"(more than {self.budget:,} steps)"
            )
        if time.thread_time() > self.deadline:
            raise IntractableError(
                f"The exact statistics of {what} are too costly to compute "
                f"(more than {CPU_SECONDS * 1000:.0f} ms of CPU)"
            )


def point(value: Number) -> Outcomes:
    """Return the distribution of a constant."""
    return {value: 1.0}


def uniform(values: Iterable[int]) -> Outcomes:
    """Return the uniform distribution over `values`."""
    faces = list(values)
    return dict.fromkeys(faces, 1.0 / len(faces))


def combine(
    left: Outcomes,
    right: Outcomes,
    op: Callable[[Number, Number], Number],
    work: Work,
    steps_per_pair: float = OPERATOR_STEPS_PER_PAIR,
) -> Outcomes:
    """Return the distribution of `op(x, y)` for independent x and y."""
    work.spend(len(left) * len(right) * steps_per_pair)
    result: Outcomes = {}
    for x, px in left.items():
        for y, py in right.items():
            value = op(x, y)
            result[value] = result.get(value, 0.0) + px * py
    return result


def add(left: Outcomes, right: Outcomes, work: Work) -> Outcomes:
    """Return the distribution of the sum of two independent variables."""
    summed = dense_sum(left, right, work)
    return combine(left, right, _plus, work, PLUS_STEPS_PER_PAIR) if summed is None else summed


def dense_sum(left: Outcomes, right: Outcomes, work: Work) -> Outcomes | None:
    """Return the sum's distribution by dense convolution, or None unless both operands
    are integers packed closely (then their sum is small and needs no bound check)."""
    dense_left, dense_right = _dense(left), _dense(right)
    if dense_left is None or dense_right is None:
        return None
    (low_a, a), (low_b, b) = dense_left, dense_right
    if len(a) < len(b):
        a, b = b, a
    work.spend(len(a) * len(b) * DENSE_STEPS_PER_PAIR + len(a) + len(b))
    out = [0.0] * (len(a) + len(b) - 1)
    width = len(a)
    for offset, q in enumerate(b):
        if q:
            window = slice(offset, offset + width)
            out[window] = map(operator.add, out[window], map(operator.mul, a, repeat(q)))
    low = low_a + low_b
    return {low + i: p for i, p in enumerate(out) if p}


def _dense(outcomes: Outcomes) -> tuple[int, list[float]] | None:
    """Return (lowest value, probabilities by value) for integer outcomes packed closely."""
    values = [v for v in outcomes if type(v) is int]
    if not values or len(values) != len(outcomes):
        return None
    low, high = int(min(values)), int(max(values))
    if high - low + 1 > 4 * len(values) + 16:
        return None  # sparse: a dense list would be mostly zeros
    dense = [0.0] * (high - low + 1)
    for value, p in outcomes.items():
        dense[int(value) - low] = p
    return low, dense


def _plus(x: Number, y: Number) -> Number:
    return x + y


def transform(outcomes: Outcomes, function: Callable[[Number], Number], work: Work) -> Outcomes:
    """Return the distribution of `function(x)`."""
    work.spend(len(outcomes) * TRANSFORM_STEPS_PER_VALUE)
    result: Outcomes = {}
    for x, p in outcomes.items():
        value = function(x)
        result[value] = result.get(value, 0.0) + p
    return result


def repeat_sum(outcomes: Outcomes, times: int, work: Work) -> Outcomes:
    """Return the distribution of the sum of `times` independent copies."""
    run = _uniform_run(outcomes)
    if run is not None and times > 1:
        return _uniform_sum(run[0], run[1], times, work)
    result = point(0)
    power = outcomes
    while times:  # binary exponentiation: log2(times) convolutions of growing size
        if times & 1:
            result = add(result, power, work)
        times >>= 1
        if times:
            power = add(power, power, work)
    return result


def _uniform_run(outcomes: Outcomes) -> tuple[int, int] | None:
    """Return (lowest, count) when `outcomes` is uniform over consecutive integers."""
    dense = _dense(outcomes)
    if dense is None:
        return None
    low, probabilities = dense
    first = probabilities[0]
    return (low, len(probabilities)) if all(p == first for p in probabilities) else None


def _uniform_sum(low: int, size: int, times: int, work: Work) -> Outcomes:
    """Return the sum of `times` uniform dice of `size` faces, one die at a time.

    Adding a die is a moving sum of width `size`, taken as a difference of prefix sums
    (C-level `accumulate` and `map`, linear in the support). The result is symmetric,
    so its upper half is mirrored from the lower half, where the prefix sums are
    small and the differences keep their precision.
    """
    share = 1.0 / size
    dist = [1.0]
    for _ in range(times):
        n = len(dist)
        length = n + size - 1
        half = (length + 1) // 2  # the entries computed; the rest is their mirror image
        work.spend(half * UNIFORM_STEPS_PER_VALUE)
        prefix = list(accumulate(dist[: min(half, n)], initial=0.0))
        upper = prefix[1:] + [prefix[-1]] * (half - len(prefix) + 1)
        lower = [0.0] * min(size - 1, half) + prefix[: max(0, half - size + 1)]
        low_half = list(map(operator.mul, map(operator.sub, upper, lower), repeat(share)))
        dist = low_half + low_half[length - half - 1 :: -1] if length > half else low_half
    base = low * times
    return {base + i: p for i, p in enumerate(dist) if p > 0}


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
