"""Rolling one dice term: draws, rerolls, explosions, clamps, keep/drop, successes.

Modifiers are applied in a fixed order whatever order they are written in (as in
Roll20): each die is drawn, rerolled (`r`, `ro`) and exploded (`!`, `!!`, `!p`);
then `mi`/`ma` clamp values; then keep/drop run in written order; then successes
and failures are counted; then crit/fumble flags are set; finally dice are sorted.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from operator import attrgetter
from typing import TYPE_CHECKING, Protocol

from .errors import DiceLimitError, DiceRuleError
from .faces import hits_all, missed_spans, never, predicate
from .nodes import (
    Clamp,
    ComparePoint,
    CritMark,
    DiceNode,
    Explode,
    Expr,
    Failure,
    Keep,
    NumberNode,
    Reroll,
    Sort,
    Success,
    dice_notation,
    modifier_notation,
    notation,
)
from .parse import check_sides
from .results import Computed, DiceTerm, Die, ResultNode

if TYPE_CHECKING:
    from .evaluate import Context, Evaluator

_value = attrgetter("value")


class Keepable(Protocol):
    """Anything keep/drop can act on: dice and group items."""

    kept: bool

    @property
    def value(self) -> int | float:
        """Return the number compared by keep/drop."""


@dataclass(frozen=True, slots=True)
class TermPlan:
    """Everything about a dice term that can be worked out before rolling."""

    notation: str
    count_text: str
    sides_text: str
    mods_text: str  # modifiers and label, e.g. "kh1[fire]"
    label: str | None
    column: int
    keeps: tuple[Keep, ...]
    explode: Explode | None
    rerolls: tuple[ComparePoint, ...]
    reroll_once: bool
    successes: tuple[ComparePoint, ...]
    failures: tuple[ComparePoint, ...]
    crits: tuple[ComparePoint, ...]
    fumbles: tuple[ComparePoint, ...]
    floor: int | None
    ceiling: int | None
    sort: Sort | None

    @property
    def is_plain(self) -> bool:
        """Return whether only keep/drop is used, so the fast path applies."""
        return not (
            self.explode or self.rerolls or self.successes or self.crits or self.fumbles
        ) and (self.floor is None and self.ceiling is None and self.sort is None)

    def rules(self, size: int | str) -> FaceRules:
        """Return the face tests of this term for dice of `size`."""
        low, high = face_range(size)
        explode = self.explode
        return FaceRules(
            size=size,
            low=low,
            span=high - low + 1,
            crit=predicate(self.crits) if self.crits else high.__eq__,
            fumble=predicate(self.fumbles) if self.fumbles else low.__eq__,
            reroll=predicate(self.rerolls) if self.rerolls else never,
            explode=never if explode is None else predicate(explode_points(explode, high)),
            success=predicate(self.successes) if self.successes else never,
            failure=predicate(self.failures) if self.failures else never,
        )


@dataclass(frozen=True, slots=True)
class FaceRules:
    """A term's compare points turned into fast tests, for one die size."""

    size: int | str
    low: int
    span: int
    crit: Callable[[int], bool]
    fumble: Callable[[int], bool]
    reroll: Callable[[int], bool]
    explode: Callable[[int], bool]
    success: Callable[[int], bool]
    failure: Callable[[int], bool]


def plan_term(node: DiceNode) -> TermPlan:
    """Gather a dice node's modifiers into a plan."""
    mods = node.modifiers
    rerolls = [m for m in mods if isinstance(m, Reroll)]
    clamps = {m.kind: m.value for m in mods if isinstance(m, Clamp)}
    mods_text = "".join(modifier_notation(m) for m in mods)
    return TermPlan(
        notation=dice_notation(node),
        count_text="1" if node.count is None else notation(node.count),
        sides_text=node.sides if isinstance(node.sides, str) else notation(node.sides),
        mods_text=mods_text + ("" if node.label is None else f"[{node.label}]"),
        label=node.label,
        column=node.column,
        keeps=tuple(m for m in mods if isinstance(m, Keep)),
        explode=next((m for m in mods if isinstance(m, Explode)), None),
        rerolls=tuple(m.point for m in rerolls),
        reroll_once=any(m.once for m in rerolls),
        successes=tuple(m.point for m in mods if isinstance(m, Success)),
        failures=tuple(m.point for m in mods if isinstance(m, Failure)),
        crits=tuple(m.point for m in mods if isinstance(m, CritMark) and m.kind == "cs"),
        fumbles=tuple(m.point for m in mods if isinstance(m, CritMark) and m.kind == "cf"),
        floor=clamps.get("mi"),
        ceiling=clamps.get("ma"),
        sort=next((m for m in mods if isinstance(m, Sort)), None),
    )


def compile_term(node: DiceNode, compile_expr: Callable[[Expr], Evaluator]) -> Evaluator:
    """Compile a dice node into a function that rolls it."""
    plan = plan_term(node)
    count: int | Evaluator
    if node.count is None:
        count = 1
    elif isinstance(node.count, NumberNode) and isinstance(node.count.value, int):
        count = node.count.value
    else:
        count = compile_expr(node.count)
    sides: int | str | Evaluator
    if node.sides == "%":
        sides = 100
    elif isinstance(node.sides, str):
        sides = "F"
    elif isinstance(node.sides, NumberNode):
        sides = int(node.sides.value)
    else:
        sides = compile_expr(node.sides)
    if isinstance(sides, int | str):
        check_triggers(plan, *face_range(sides), plan.column)
        if isinstance(count, int) and plan.is_plain:
            return _plain_term(plan, count, sides)
    return _general_term(plan, count, sides)


def face_range(sides: int | str) -> tuple[int, int]:
    """Return the lowest and highest face of a die."""
    return (-1, 1) if sides == "F" else (1, int(sides))


def _plain_term(plan: TermPlan, count: int, size: int | str) -> Evaluator:
    """The hot path: a literal `NdX` with at most keep/drop modifiers."""
    notation, label, column = plan.notation, plan.label, plan.column
    low, high = face_range(size)
    span = high - low + 1
    first, last = kept_positions(count, plan.keeps)
    if plan.keeps and count == 2 and last - first == 1:
        return _best_of_two(plan, size, highest=first == 1)
    keeps = plan.keeps and (first, last) != (0, count)
    # Ties are broken so the earliest dice are the ones kept.
    order_from = range(count - 1, -1, -1) if last == count else range(count)

    def roll_plain(ctx: Context) -> ResultNode:
        left = ctx.budget - count
        if left < 0:
            raise too_many_dice(ctx, column)
        ctx.budget = left
        draw = ctx.randrange
        if count == 1:
            face = draw(span) + low
            dice = [Die(size, face, face, True, face == high, face == low)]
            total = face
        else:
            faces = [draw(span) + low for _ in range(count)]
            if keeps:
                kept = sorted(order_from, key=faces.__getitem__)[first:last]
                total = sum([faces[i] for i in kept])
                kept_set = set(kept)
                dice = [
                    Die(size, f, f, i in kept_set, f == high, f == low) for i, f in enumerate(faces)
                ]
            else:
                dice = [Die(size, f, f, True, f == high, f == low) for f in faces]
                total = sum(faces)
        term = DiceTerm(notation, count, size, label, dice, total)
        ctx.terms.append(term)
        return term

    return roll_plain


def _best_of_two(plan: TermPlan, size: int | str, *, highest: bool) -> Evaluator:
    """Advantage and disadvantage (`2d20kh1`, `2d20kl1`), the most common keep."""
    notation, label, column = plan.notation, plan.label, plan.column
    low, high = face_range(size)
    span = high - low + 1

    def roll_two(ctx: Context) -> ResultNode:
        left = ctx.budget - 2
        if left < 0:
            raise too_many_dice(ctx, column)
        ctx.budget = left
        draw = ctx.randrange
        a = draw(span) + low
        b = draw(span) + low
        first = a >= b if highest else a <= b
        dice = [
            Die(size, a, a, first, a == high, a == low),
            Die(size, b, b, not first, b == high, b == low),
        ]
        term = DiceTerm(notation, 2, size, label, dice, a if first else b)
        ctx.terms.append(term)
        return term

    return roll_two


def kept_positions(count: int, keeps: Sequence[Keep]) -> tuple[int, int]:
    """Return the slice [low, high) of the ascending-sorted dice that keep/drop leaves."""
    low, high = 0, count
    for keep in keeps:
        amount = min(keep.count, high - low)
        if keep.kind == "kh":
            low = high - amount
        elif keep.kind == "kl":
            high = low + amount
        elif keep.kind == "dh":
            high -= amount
        else:
            low += amount
    return low, high


def _general_term(
    plan: TermPlan, count: int | Evaluator, sides: int | str | Evaluator
) -> Evaluator:
    """Every other dice term: computed sizes, rerolls, explosions, successes..."""
    fixed_rules = plan.rules(sides) if isinstance(sides, int | str) else None
    column = plan.column

    def roll_general(ctx: Context) -> ResultNode:
        count_node = sides_node = None
        number = count
        if not isinstance(number, int):
            count_node = number(ctx)
            number = whole_number(count_node.value, "number of dice", column)
        rules = fixed_rules
        if rules is None:
            assert not isinstance(sides, int | str)
            sides_node = sides(ctx)
            size = whole_number(sides_node.value, "number of sides", column)
            check_sides(size, ctx.limits, column)
            check_triggers(plan, 1, size, column)
            rules = plan.rules(size)
        left = ctx.budget - number
        if left < 0:
            raise too_many_dice(ctx, column)
        dice, ctx.budget = roll_dice(ctx, plan, rules, number, left)
        term = DiceTerm(plan.notation, number, rules.size, plan.label, dice, 0)
        term.value = finish_dice(dice, plan, rules)
        term.counts_successes = bool(plan.successes)
        term.tracks_crits = bool(plan.crits or plan.fumbles)
        if count_node is not None or sides_node is not None:
            term.computed = Computed(
                count_node, sides_node, plan.count_text, plan.sides_text, plan.mods_text
            )
        ctx.terms.append(term)
        return term

    return roll_general


def whole_number(value: int | float, what: str, column: int) -> int:
    if isinstance(value, float):
        if value.is_integer():
            return whole_number(int(value), what, column)
        raise DiceRuleError(f"The {what} must be a whole number, got {value:g}", column)
    if value < 0:
        raise DiceRuleError(f"The {what} cannot be negative, got {value}", column)
    return value


def too_many_dice(ctx: Context, column: int) -> DiceLimitError:
    """Build the error for a roll that needs more dice than the limit."""
    return DiceLimitError(
        f"Too many dice: this roll needs more than {ctx.limits.max_dice} dice "
        "(rerolls and explosions count)",
        column,
    )


def check_triggers(plan: TermPlan, low: int, high: int, column: int) -> None:
    """Refuse rerolls or explosions that would trigger on every face and never stop."""
    if not (plan.rerolls or plan.explode):
        return
    everything = [(low, high)]
    survivors = everything
    if plan.rerolls and not plan.reroll_once:
        survivors = missed_spans(plan.rerolls, low, high)
        if not survivors:
            raise DiceRuleError("This reroll matches every face, so it would never stop", column)
    explode = plan.explode
    if explode is None or explode.once:
        return
    # Compounding draws again without rerolls, so every face must be considered.
    pool = everything if explode.kind == "!!" else survivors
    if hits_all(explode_points(explode, high), pool):
        raise DiceRuleError("This explosion matches every face, so it would never stop", column)


def explode_points(explode: Explode, high: int) -> tuple[ComparePoint, ...]:
    """Return the compare points of an explosion; the default is the highest face."""
    return (ComparePoint("=", high),) if explode.point is None else (explode.point,)


def roll_dice(
    ctx: Context, plan: TermPlan, rules: FaceRules, count: int, left: int
) -> tuple[list[Die], int]:
    """Draw `count` dice with rerolls and explosions; return them and the budget left.

    `left` is the budget after the `count` first draws; extra draws spend from it.
    """
    draw, low, span, size = ctx.randrange, rules.low, rules.span, rules.size
    reroll, explode, crit, fumble = rules.reroll, rules.explode, rules.crit, rules.fumble
    once, kind = plan.reroll_once, plan.explode.kind if plan.explode else ""
    explode_once = plan.explode is not None and plan.explode.once
    dice: list[Die] = []
    extra = False
    pending = count
    while pending:
        face = draw(span) + low
        while reroll(face):
            dice.append(Die(size, face, face, False, crit(face), fumble(face), False, True, extra))
            left -= 1
            if left < 0:
                raise too_many_dice(ctx, plan.column)
            face = draw(span) + low
            if once:
                break
        if kind == "!!":
            natural, value = face, face
            while explode(face):
                left -= 1
                if left < 0:
                    raise too_many_dice(ctx, plan.column)
                face = draw(span) + low
                value += face
            exploded = value != natural or explode(natural)
            dice.append(Die(size, value, natural, True, crit(natural), fumble(natural), exploded))
            pending -= 1
            continue
        value = face - 1 if extra and kind == "!p" else face
        blows = explode(face) and not (extra and explode_once)
        dice.append(Die(size, value, face, True, crit(face), fumble(face), blows, False, extra))
        if blows:
            left -= 1  # the extra die is drawn on the next pass
            if left < 0:
                raise too_many_dice(ctx, plan.column)
            extra = True
        else:
            extra = False
            pending -= 1
    return dice, left


def finish_dice(dice: list[Die], plan: TermPlan, rules: FaceRules) -> int:
    """Clamp, keep/drop, count successes and sort; return the term's value."""
    if plan.floor is not None or plan.ceiling is not None:
        _clamp(dice, plan.floor, plan.ceiling)
    if plan.keeps:
        apply_keeps(dice, plan.keeps)
    if plan.successes:
        value = _count_successes(dice, rules)
    else:
        value = sum([d.value for d in dice if d.kept])
    if plan.sort is not None:
        dice.sort(key=_value, reverse=plan.sort.descending)
    return value


def _clamp(dice: list[Die], floor: int | None, ceiling: int | None) -> None:
    for die in dice:
        if floor is not None and die.value < floor:
            die.value = floor
        if ceiling is not None and die.value > ceiling:
            die.value = ceiling


def _count_successes(dice: list[Die], rules: FaceRules) -> int:
    count = 0
    success, failure = rules.success, rules.failure
    for die in dice:
        if not die.kept:
            continue
        if success(die.value):
            die.success = True
            count += 1
        elif failure(die.value):
            die.failure = True
            count -= 1
    return count


def apply_keeps(items: Sequence[Keepable], keeps: tuple[Keep, ...]) -> None:
    """Apply keep/drop in order to the items still kept (ties keep the earliest)."""
    for keep in keeps:
        live = [item for item in items if item.kept]
        # Dropping the lowest k is keeping the highest n-k: one stable sort, keep a prefix.
        highest = keep.kind in ("kh", "dl")
        live.sort(key=_value, reverse=highest)
        keeping = keep.count if keep.kind in ("kh", "kl") else max(len(live) - keep.count, 0)
        for item in live[keeping:]:
            item.kept = False
