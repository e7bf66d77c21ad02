"""Rolling one dice term: draws, rerolls, explosions, clamps, keep/drop, successes.

Modifiers are applied in a fixed order whatever order they are written in (as in
Roll20): each die is drawn, rerolled (`r`, `ro`) and exploded (`!`, `!!`, `!p`);
then `mi`/`ma` clamp values; then keep/drop run in written order; then successes
and failures are counted; then crit/fumble flags are set; finally dice are sorted.
A computed count or size arrives already compiled, so this module never compiles.
"""

from __future__ import annotations

from collections import Counter

from .context import Context, Evaluator
from .errors import DiceLimitError
from .keeps import apply_keeps, value_of
from .nodes import DiceNode, Match
from .plan import (
    FaceRules,
    TermPlan,
    check_sides,
    check_triggers,
    face_range,
    kept_positions,
    plan_term,
    whole_number,
)
from .results import Computed, DiceTerm, Die, ResultNode

Count = int | Evaluator
Sides = int | str | Evaluator


def compile_term(node: DiceNode, count: Count, sides: Sides) -> Evaluator:
    """Compile a dice node into a function that rolls it.

    `count` and `sides` are either known numbers (`100` for `d%`, `"F"` for Fate) or the
    compiled sub-expressions that compute them.
    """
    plan = plan_term(node)
    if isinstance(sides, int | str):
        check_triggers(plan, *face_range(sides), plan.column)
        if isinstance(count, int) and plan.is_plain:
            return _plain_term(plan, count, sides)
    return _general_term(plan, count, sides)


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
        if count == 1 and not keeps:  # `1d20dh1` or `1d6kh0` keep nothing: the list path
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
        term.counts_successes = bool(plan.successes) or bool(plan.match and plan.match.count)
        term.tracks_crits = bool(plan.crits or plan.fumbles)
        if count_node is not None or sides_node is not None:
            term.computed = Computed(
                count_node, sides_node, plan.count_text, plan.sides_text, plan.mods_text
            )
        ctx.terms.append(term)
        return term

    return roll_general


def too_many_dice(ctx: Context, column: int) -> DiceLimitError:
    """Build the error for a roll that needs more dice than the limit."""
    return DiceLimitError(
        f"Too many dice: this roll needs more than {ctx.limits.max_dice} dice "
        "(rerolls and explosions count)",
        column,
    )


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
    if plan.match is not None:
        sets = mark_matches(dice, plan.match)
        value = sets if plan.match.count else value
    if plan.sort is not None:
        dice.sort(key=value_of, reverse=plan.sort.descending)
    return value


def mark_matches(dice: list[Die], match: Match) -> int:
    """Flag the kept dice whose value enough kept dice share; return how many sets there are."""
    tally = Counter(d.value for d in dice if d.kept)
    point = match.point
    values = {
        v for v, n in tally.items() if n >= match.minimum and (point is None or point.matches(v))
    }
    for die in dice:
        die.matched = die.kept and die.value in values
    return len(values)


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
