"""Guaranteed lower and upper bounds of an expression's total, by interval arithmetic.

The bounds are safe (every roll lands inside them) and tight for common rolls such
as `4d6kh3` or `2d20kh1+5`. Because a roll never draws more than `Limits.max_dice`
dice, even exploding dice have a finite bound. Integers stay exact Python ints, and
every interval is clipped to the value bound (`Limits.max_digits`) that a roll
enforces anyway, so no infinity or NaN ever appears; an expression whose every
result is beyond that bound is refused with a `DiceLimitError`, as rolling it is.
"""

from __future__ import annotations

import math
from collections.abc import Callable

from .advantage import Advantage
from .arithmetic import Number, js_round, normalize
from .dispatch import Dispatch
from .errors import DiceLimitError, contained
from .faces import missed_spans
from .limits import DEFAULT_LIMITS, Limits
from .nodes import (
    EXPR_TYPES,
    CallNode,
    ChainNode,
    DiceNode,
    Explode,
    Expr,
    Failure,
    GroupNode,
    Keep,
    NumberNode,
    ParenNode,
    PowerNode,
    Success,
    UnaryNode,
)
from .plan import TermPlan, face_range, per_die_parts, plan_term
from .program import parse_roll

Interval = tuple[Number, Number]


def bounds(
    expression: str, *, limits: Limits | None = None, advantage: Advantage = Advantage.NONE
) -> tuple[Number, Number]:
    """Return the smallest and largest total `expression` can possibly roll."""
    limits = limits or DEFAULT_LIMITS
    tree = parse_roll(expression, limits, advantage).tree
    with contained("The bounds"):  # a safety net: nothing but DiceError leaks
        low, high = tree_bounds(tree, limits)
    return normalize(low), normalize(high)


def tree_bounds(node: Expr, limits: Limits) -> Interval:
    """Return an interval containing every value `node` can take."""
    return _Bounds(limits).clipped(node)


class _Bounds:
    """One bounds computation: the limits in force and the dispatch table."""

    def __init__(self, limits: Limits) -> None:
        self.limits = limits
        self.bound = limits.value_bound
        self.table: Dispatch[Expr, Interval] = Dispatch(
            EXPR_TYPES,
            {
                NumberNode: lambda n: (n.value, n.value),
                DiceNode: self.dice,
                GroupNode: self.group,
                ChainNode: self.chain,
                PowerNode: lambda n: _power(self.visit(n.base), self.visit(n.exponent), self.bound),
                UnaryNode: self.unary,
                CallNode: lambda n: _call(n.name, self.visit(n.arg)),
                ParenNode: lambda n: self.visit(n.inner),
            },
        )

    def visit(self, node: Expr) -> Interval:
        """Return the interval of `node`, clipped to what a roll can produce."""
        return self.clip(self.table(node))

    def clip(self, interval: Interval) -> Interval:
        """Clip to the value bound; refuse when every value is beyond it (the roll would)."""
        low, high = max(interval[0], -self.bound), min(interval[1], self.bound)
        if low > high:
            raise DiceLimitError(f"Every result of this expression is too large {self.limit}")
        return (low, high)

    def clipped(self, node: Expr) -> Interval:
        return self.visit(node)

    @property
    def limit(self) -> str:
        return f"(limit {self.limits.max_digits} digits)"

    def chain(self, node: ChainNode) -> Interval:
        interval = self.visit(node.first)
        for part in node.rest:
            interval = _binary(part.op, interval, self.visit(part.operand), self.bound)
            if part.op not in "+-":  # a roll bounds each product, but a sum only at its end
                interval = self.clip(interval)
        return interval

    def unary(self, node: UnaryNode) -> Interval:
        low, high = self.visit(node.operand)
        return (-high, -low) if node.op == "-" else (low, high)

    def dice(self, node: DiceNode) -> Interval:
        return _dice(node, self.limits, self.visit)

    def group(self, node: GroupNode) -> Interval:
        return _group(node, self.limits, [self.visit(item) for item in node.items], self.visit)


def _mul(a: Number, b: Number) -> Number:
    return normalize(a * b)


def _binary(op: str, left: Interval, right: Interval, bound: int) -> Interval:
    (a, b), (c, d) = left, right
    if op == "+":
        return (a + c, b + d)
    if op == "-":
        return (a - d, b - c)
    if op == "*":
        products = [_mul(x, y) for x in (a, b) for y in (c, d)]
        return (min(products), max(products))
    if op == "/":
        if c <= 0 <= d:
            return (-bound, bound)  # the divisor may come close to zero
        quotients = [x / y for x in (a, b) for y in (c, d)]
        return (min(quotients), max(quotients))
    size = max(abs(c), abs(d))  # remainder magnitude is below the divisor's
    return (0 if a >= 0 else -size, 0 if b <= 0 else size)


def _power(base: Interval, exponent: Interval, bound: int) -> Interval:
    if base[0] < 0 or exponent[0] < 0:
        return (-bound, bound)
    # x ** y is monotonic in each argument for x, y >= 0, so the corners bound it.
    corners = [_corner(x, y, bound) for x in base for y in exponent]
    return (min(corners), max(corners))


def _corner(x: Number, y: Number, bound: int) -> Number:
    """Return x ** y for x, y >= 0, or `bound + 1` (beyond) when it exceeds `bound`,
    without computing it."""
    beyond = bound + 1
    if type(x) is int and type(y) is int:
        if x > 1 and y * (x.bit_length() - 1) > bound.bit_length():
            return beyond
        exact: int = x**y
        return min(exact, beyond)
    try:
        return min(normalize(float(x) ** float(y)), beyond)
    except OverflowError:
        return beyond


def _call(name: str, interval: Interval) -> Interval:
    low, high = interval
    if name == "abs":
        if low >= 0:
            return interval
        if high <= 0:
            return (-high, -low)
        return (0, max(-low, high))
    if name == "floor":
        return (math.floor(low), math.floor(high))
    if name == "ceil":
        return (math.ceil(low), math.ceil(high))
    return (js_round(low), js_round(high))


def _whole_range(interval: Interval, minimum: int, maximum: int) -> tuple[int, int]:
    """Return the counts (or sizes) a computed value can round to, within limits."""
    low = min(max(minimum, js_round(interval[0])), maximum)
    high = max(min(maximum, js_round(interval[1])), low)
    return low, high


def _kept_count(count: int, keeps: tuple[Keep, ...]) -> int:
    for keep in keeps:
        count = min(keep.count, count) if keep.kind in ("kh", "kl") else max(count - keep.count, 0)
    return count


def _dice_count(
    node: DiceNode, plan: TermPlan, limits: Limits, visit: Callable[[Expr], Interval]
) -> tuple[int, int]:
    """Return how few and how many dice a term can end up with, explosions included."""
    count_iv: Interval = (1, 1) if node.count is None else visit(node.count)
    n_low, n_high = _whole_range(count_iv, 0, limits.max_dice)
    explode = plan.explode
    if explode is not None and explode.kind != "!!" and not explode.once:
        n_high = limits.max_dice  # explosions add dice, up to the per-roll budget
    elif explode is not None and explode.once:
        n_high = min(2 * n_high, limits.max_dice)
    return n_low, n_high


def _faces(
    node: DiceNode, plan: TermPlan, limits: Limits, visit: Callable[[Expr], Interval]
) -> tuple[int, int]:
    """Return the lowest and highest face a die of the term can keep."""
    if isinstance(node.sides, str):
        low, high = face_range("F" if node.sides == "F" else 100)
    elif isinstance(node.sides, NumberNode):
        low, high = face_range(int(node.sides.value))
    else:
        return 1, _whole_range(visit(node.sides), 1, limits.max_sides)[1]
    if plan.rerolls and not plan.reroll_once:
        survivors = missed_spans(plan.rerolls, low, high)  # rerolled faces never stay
        if survivors:
            low, high = survivors[0][0], survivors[-1][1]
    return low, high


def _dice(node: DiceNode, limits: Limits, visit: Callable[[Expr], Interval]) -> Interval:
    plan = plan_term(node)
    n_low, n_high = _dice_count(node, plan, limits, visit)
    low_face, high_face = _faces(node, plan, limits, visit)
    kept_low, kept_high = _kept_count(n_low, plan.keeps), _kept_count(n_high, plan.keeps)
    if plan.successes:
        return (-kept_high if plan.failures else 0, kept_high)
    if plan.match is not None and plan.match.count:
        return (0, kept_high // plan.match.minimum)
    explode = plan.explode
    if explode is not None and explode.kind == "!!":
        high_face *= limits.max_dice  # a compounded die sums at most the whole budget
    die_low, die_high = _die_range(explode, plan.floor, plan.ceiling, low_face, high_face)
    ends = [_mul(n, v) for n in (kept_low, kept_high) for v in (die_low, die_high)]
    return (min(ends), max(ends))


def _die_range(
    explode: Explode | None, floor: int | None, ceiling: int | None, low: int, high: int
) -> Interval:
    die_low, die_high = low, high
    if explode is not None and explode.kind == "!p":
        die_low = low - 1  # penetrating extra dice count one less
    if floor is not None:
        die_low, die_high = max(die_low, floor), max(die_high, floor)
    if ceiling is not None:
        die_low, die_high = min(die_low, ceiling), min(die_high, ceiling)
    return (die_low, die_high)


def _group(
    node: GroupNode, limits: Limits, items: list[Interval], visit: Callable[[Expr], Interval]
) -> Interval:
    successes = [m.point for m in node.modifiers if isinstance(m, Success)]
    failures = [m.point for m in node.modifiers if isinstance(m, Failure)]
    keeps = tuple(m for m in node.modifiers if isinstance(m, Keep))
    parts = per_die_parts(node.items[0]) if len(items) == 1 and node.modifiers else None
    if successes:
        size = len(items)
        if parts is not None:  # one success per die, at most
            size = sum(_dice_count(t, plan_term(t), limits, visit)[1] for t in parts.dice)
        return (-size if failures else 0, size)
    total = (sum(i[0] for i in items), sum(i[1] for i in items))
    if not keeps:
        return total
    if parts is None:
        return (sum(min(i[0], 0) for i in items), sum(max(i[1], 0) for i in items))
    # Any subset of the dice may be kept, each with the sub-roll's constant added.
    terms = [visit(term) for term in parts.dice]
    shift = parts.constant * limits.max_dice
    low = sum(min(t[0], 0) for t in terms) + min(0, shift)
    return (low, sum(max(t[1], 0) for t in terms) + max(0, shift))
