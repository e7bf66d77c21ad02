"""Exact statistics of a dice expression: its whole distribution, by enumeration.

Independent parts are combined by convolution; keep/drop uses a dynamic program
over the sorted multiset of the dice that may still be kept. Exploding chains are
summed until the probability left is below `EXPLOSION_TAIL` (then renormalised).
Anything too costly for `Limits.max_stats_work`, or not supported (keep/drop or
success counting on dice that explode into separate dice), raises `IntractableError`.
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from functools import reduce

from . import arithmetic
from .advantage import Advantage
from .arithmetic import Number
from .dispatch import Dispatch
from .distribution import (
    Distribution,
    Outcomes,
    Work,
    add,
    combine,
    dense_sum,
    mixture,
    point,
    repeat_sum,
    transform,
    uniform,
)
from .errors import DiceLimitError, IntractableError, contained
from .limits import DEFAULT_LIMITS, Limits
from .nodes import (
    EXPR_TYPES,
    CallNode,
    ChainNode,
    DiceNode,
    Expr,
    Failure,
    GroupNode,
    Keep,
    NumberNode,
    ParenNode,
    PowerNode,
    Success,
    UnaryNode,
    notation,
)
from .plan import (
    PerDie,
    TermPlan,
    check_sides,
    check_triggers,
    face_range,
    kept_positions,
    per_die_parts,
    plan_term,
    whole_number,
)
from .program import parse_roll

EXPLOSION_TAIL = 1e-12
TERM_STEPS = 100  # the fixed cost of one dice term, in budget steps
FACE_STEPS_EXPLODING = 6  # the cost of one face of an exploding die, in budget steps


def distribution(
    expression: str, limits: Limits | None = None, *, advantage: Advantage = Advantage.NONE
) -> Distribution:
    """Return the exact distribution of `expression`'s total (comment ignored)."""
    limits = limits or DEFAULT_LIMITS
    work = Work(limits.max_stats_work)  # its CPU deadline counts the parse too
    tree = parse_roll(expression, limits, advantage).tree
    with contained("These statistics"):  # a safety net: nothing but DiceError leaks
        outcomes = _Stats(limits, work).expr(tree)
    work.spend(len(outcomes))  # sorting and normalising them below
    return Distribution.of(notation(tree), outcomes)


class _Stats:
    """One computation: the limits in force and the work spent so far."""

    def __init__(self, limits: Limits, work: Work) -> None:
        self.limits = limits
        self.work = work
        self.expr: Dispatch[Expr, Outcomes] = Dispatch(
            EXPR_TYPES,
            {
                NumberNode: lambda n: point(n.value),
                DiceNode: self.dice,
                GroupNode: self.group,
                ChainNode: self.operators,
                PowerNode: self.power,
                UnaryNode: self.unary,
                CallNode: self.call,
                ParenNode: lambda n: self.expr(n.inner),
            },
        )

    def operators(self, node: ChainNode) -> Outcomes:
        bound = self.limits.value_bound
        total = self.expr(node.first)
        for part in node.rest:
            operand = self.expr(part.operand)
            summed = None
            if part.op in "+-":  # sums, the common case, convolve densely when they can
                signed = operand if part.op == "+" else {-v: p for v, p in operand.items()}
                summed = dense_sum(total, signed, self.work)
            if summed is None:
                operator = _operator(part.op, bound, part.column)
                summed = combine(total, operand, operator, self.work)
            total = summed
        return total

    def power(self, node: PowerNode) -> Outcomes:
        bound, column = self.limits.value_bound, node.column
        return combine(
            self.expr(node.base),
            self.expr(node.exponent),
            lambda x, y: arithmetic.power(x, y, bound, column),
            self.work,
        )

    def unary(self, node: UnaryNode) -> Outcomes:
        sign = -1 if node.op == "-" else 1
        return transform(self.expr(node.operand), lambda x: sign * x, self.work)

    def call(self, node: CallNode) -> Outcomes:
        name = node.name
        return transform(self.expr(node.arg), lambda x: arithmetic.call(name, x), self.work)

    # -- dice terms ----------------------------------------------------------------

    def dice(self, node: DiceNode) -> Outcomes:
        # Planning and setting up a term costs about 10 µs whatever its dice: charge it,
        # so a sum of hundreds of d2 is refused before it takes milliseconds.
        self.work.spend(TERM_STEPS)
        plan = plan_term(node)
        counts = point(1) if node.count is None else self.expr(node.count)
        sizes = self.sizes(node)
        numbers = []
        for count, p_count in counts.items():
            number = whole_number(count, "number of dice", plan.column)
            if number > self.limits.max_dice:
                raise DiceLimitError(f"Too many dice: {number}", plan.column)
            numbers.append((number, p_count))
        parts: list[tuple[float, Outcomes]] = []
        for size, p_size in sizes:
            per_count = self.term(plan, size)
            parts.extend((p_size * p_count, per_count(number)) for number, p_count in numbers)
        return mixture(parts, self.work)

    def sizes(self, node: DiceNode) -> list[tuple[int | str, float]]:
        if node.sides == "%":
            return [(100, 1.0)]
        if isinstance(node.sides, str):
            return [("F", 1.0)]
        sizes: list[tuple[int | str, float]] = []
        for value, p in self.expr(node.sides).items():
            size = whole_number(value, "number of sides", node.column)
            check_sides(size, self.limits, node.column)
            sizes.append((size, p))
        return sizes

    def term(self, plan: TermPlan, size: int | str) -> Callable[[int], Outcomes]:
        """Return a function giving the term's distribution for a number of dice."""
        low, high = face_range(size)
        check_triggers(plan, low, high, plan.column)
        if plan.match is not None and plan.match.count:
            raise IntractableError(
                "Exact statistics do not support counting matches (mt)", plan.column
            )
        explode = plan.explode
        if explode is not None and explode.kind != "!!" and (plan.keeps or plan.successes):
            raise IntractableError(
                "Exact statistics do not support keep/drop or success counting on dice that "
                "explode into separate dice (compounding !! is supported)",
                plan.column,
            )
        each = self.contribution(plan, size)
        per_die = self.single_die(plan, size)
        if not plan.keeps:
            summed = transform(per_die, each, self.work)
            return lambda count: repeat_sum(summed, count, self.work)
        return lambda count: self.keep([per_die] * count, plan.keeps, each)

    def contribution(self, plan: TermPlan, size: int | str) -> Callable[[Number], Number]:
        if not plan.successes:
            return _identity
        rules = plan.rules(size)
        success, failure = rules.success, rules.failure
        return lambda v: 1 if success(int(v)) else -1 if failure(int(v)) else 0

    def single_die(self, plan: TermPlan, size: int | str) -> Outcomes:
        """Return the distribution of one die's value, explosions included."""
        low, high = face_range(size)
        rules = plan.rules(size)
        # Per face: the draw, rerolls and clamps; an explosion's chain and start loop over
        # the faces a few times more in Python (measured ~1 us a face in all).
        self.work.spend((high - low + 1) * (FACE_STEPS_EXPLODING if plan.explode else 1))
        faces = range(low, high + 1)
        draw = uniform(faces)
        if plan.rerolls:
            hit = {f for f in faces if rules.reroll(f)}
            if plan.reroll_once:
                share = len(hit) / len(faces) / len(faces)
                draw = {f: (0.0 if f in hit else 1 / len(faces)) + share for f in faces}
            else:
                draw = uniform(f for f in faces if not rules.reroll(f))
        clamp = _clamp(plan.floor, plan.ceiling)
        explode = plan.explode
        if explode is None:
            return transform(draw, clamp, self.work)
        if explode.kind == "!!":
            chain = self.chain(uniform(faces), rules.explode, _identity, once=False)
            return transform(self.start(draw, rules.explode, _identity, chain), clamp, self.work)
        penalty = 1 if explode.kind == "!p" else 0
        extra = self.chain(draw, rules.explode, lambda v: clamp(v - penalty), once=explode.once)
        return self.start(draw, rules.explode, clamp, extra)

    def start(
        self,
        draw: Outcomes,
        explodes: Callable[[int], bool],
        value: Callable[[Number], Number],
        chain: Outcomes,
    ) -> Outcomes:
        """Combine a first draw with the chain that follows when it explodes."""
        stop = {value(f): p for f, p in draw.items() if not explodes(int(f))}
        go = transform({f: p for f, p in draw.items() if explodes(int(f))}, value, self.work)
        return _merge(_merge({}, stop), add(go, chain, self.work))

    def chain(
        self,
        draw: Outcomes,
        explodes: Callable[[int], bool],
        value: Callable[[Number], Number],
        *,
        once: bool,
    ) -> Outcomes:
        """Return the distribution of an extra die plus every die it explodes into."""
        stop: Outcomes = {}
        go: Outcomes = {}
        for face, p in draw.items():
            target = go if explodes(int(face)) and not once else stop
            target[value(face)] = target.get(value(face), 0.0) + p
        p_go = math.fsum(go.values())
        levels = 1 if p_go == 0 else math.ceil(math.log(EXPLOSION_TAIL) / math.log(p_go))
        if levels > self.limits.max_dice:
            raise IntractableError("These dice explode too often for exact statistics")
        result = dict(stop)
        for _ in range(levels):
            result = _merge(dict(stop), add(go, result, self.work))
        return result

    # -- keep/drop -----------------------------------------------------------------

    def keep(
        self, dists: list[Outcomes], keeps: Sequence[Keep], each: Callable[[Number], Number]
    ) -> Outcomes:
        """Return the distribution of the sum of `each(v)` over the values keep/drop leaves."""
        count = len(dists)
        low, high = kept_positions(count, keeps)
        if low >= high:
            return point(0)
        if low == 0 and high == count:
            return self.sum_each(dists, each)
        # Track only the dice that can still end up kept: the lowest or highest few.
        size = high if low == 0 else count - low if high == count else count
        keep_low = low == 0
        states: dict[tuple[Number, ...], float] = {(): 1.0}
        for dist in dists:
            self.work.spend(len(states) * len(dist) * (size + 1), "this keep/drop")
            new: dict[tuple[Number, ...], float] = {}
            for state, p_state in states.items():
                for value, p_value in dist.items():
                    grown = list(state)
                    bisect.insort(grown, value)
                    if len(grown) > size:
                        del grown[-1 if keep_low else 0]
                    key = tuple(grown)
                    new[key] = new.get(key, 0.0) + p_state * p_value
            states = new
        kept = slice(None) if size < count else slice(low, high)
        result: Outcomes = {}
        for state, p in states.items():
            value = sum(each(v) for v in state[kept])
            result[value] = result.get(value, 0.0) + p
        return result

    def sum_each(self, dists: list[Outcomes], each: Callable[[Number], Number]) -> Outcomes:
        parts = [transform(d, each, self.work) for d in dists]
        return reduce(lambda a, b: add(a, b, self.work), parts, point(0))

    # -- groups --------------------------------------------------------------------

    def group(self, node: GroupNode) -> Outcomes:
        keeps = [m for m in node.modifiers if isinstance(m, Keep)]
        successes = [m.point for m in node.modifiers if isinstance(m, Success)]
        failures = [m.point for m in node.modifiers if isinstance(m, Failure)]

        def each(v: Number) -> Number:
            if not successes:
                return v
            if any(p.matches(v) for p in successes):
                return 1
            return -1 if any(p.matches(v) for p in failures) else 0

        parts = per_die_parts(node.items[0]) if len(node.items) == 1 and node.modifiers else None
        dists = list(map(self.expr, node.items)) if parts is None else self.group_dice(parts)
        return self.keep(dists, keeps, each)

    def group_dice(self, parts: PerDie) -> list[Outcomes]:
        """Return one distribution per die of a `{4d6+3d8}` or `{3d20+5}` style group."""
        dists: list[Outcomes] = []
        shift = parts.constant
        for term in parts.dice:
            plan = plan_term(term)
            explode = plan.explode
            if (explode is not None and explode.kind != "!!") or plan.keeps:
                raise IntractableError(
                    "Exact statistics of per-die groups need plain or compounding dice",
                    term.column,
                )
            for (size, p_size), (count, p_count) in _pairs(self.sizes(term), self.counts(term)):
                if p_size != 1.0 or p_count != 1.0:
                    raise IntractableError(
                        "Exact statistics of per-die groups need fixed dice counts and sizes",
                        term.column,
                    )
                check_triggers(plan, *face_range(size), term.column)
                die = self.single_die(plan, size)
                if shift:  # the sub-roll's constant is added to each die (Roll20)
                    die = transform(die, lambda v: v + shift, self.work)
                dists.extend([die] * count)
        return dists

    def counts(self, node: DiceNode) -> list[tuple[int, float]]:
        counts = point(1) if node.count is None else self.expr(node.count)
        found = []
        for value, p in counts.items():
            number = whole_number(value, "number of dice", node.column)
            if number > self.limits.max_dice:  # before any list of that many dice is made
                raise DiceLimitError(f"Too many dice: {number}", node.column)
            found.append((number, p))
        return found


def _pairs(
    sizes: list[tuple[int | str, float]], counts: list[tuple[int, float]]
) -> list[tuple[tuple[int | str, float], tuple[int, float]]]:
    return [(s, c) for s in sizes for c in counts]


def _operator(op: str, bound: int, column: int) -> Callable[[Number, Number], Number]:
    return lambda x, y: arithmetic.apply(op, x, y, bound, column)


def _identity(value: Number) -> Number:
    return value


def _clamp(floor: int | None, ceiling: int | None) -> Callable[[Number], Number]:
    if floor is None and ceiling is None:
        return _identity

    def clamp(value: Number) -> Number:
        if floor is not None and value < floor:
            value = floor
        if ceiling is not None and value > ceiling:
            value = ceiling
        return value

    return clamp


def _merge(into: Outcomes, extra: Outcomes) -> Outcomes:
    for value, p in extra.items():
        into[value] = into.get(value, 0.0) + p
    return into
