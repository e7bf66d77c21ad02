"""Rolling Roll20 groups: `{a, b}kh1`, `{4d6+3d8}kh1`, `{5d6!!}>8`.

A group of several comma-separated sub-rolls applies keep/drop and success counting
to the sub-roll totals. A group holding a single sub-roll made only of dice terms
added together applies them to the individual dice instead (Roll20's rule), so
`{4d6+3d8}kh1` keeps the best single die. A single sub-roll with anything else in
it (`{3d20+5}>21`) is treated as one item.
"""

from __future__ import annotations

from collections.abc import Sequence

from .arithmetic import bounded
from .context import Context, Evaluator
from .keeps import apply_keeps
from .nodes import ComparePoint, Failure, GroupNode, Keep, Success, modifier_notation
from .plan import per_die_parts
from .results import Chain, DiceTerm, Die, Group, GroupItem, ResultNode


def compile_group(node: GroupNode, item_fns: Sequence[Evaluator]) -> Evaluator:
    """Compile a group node, given its compiled items, into a function that rolls it."""
    keeps = tuple(m for m in node.modifiers if isinstance(m, Keep))
    successes = tuple(m.point for m in node.modifiers if isinstance(m, Success))
    failures = tuple(m.point for m in node.modifiers if isinstance(m, Failure))
    mods_text = "".join(modifier_notation(m) for m in node.modifiers)
    parts = per_die_parts(node.items[0]) if len(node.items) == 1 and node.modifiers else None
    per_die = parts is not None
    constant = 0 if parts is None else parts.constant
    label, column = node.label, node.column

    def roll_group(ctx: Context) -> ResultNode:
        nodes = [fn(ctx) for fn in item_fns]
        items = [GroupItem(n, n.value) for n in nodes]
        if per_die:
            value = _per_die(nodes[0], keeps, successes, failures, constant)
            items[0].value = nodes[0].value
        else:
            apply_keeps(items, keeps)
            value = _items_value(items, successes, failures)
        value = bounded(value, ctx.limits.value_bound, column)
        return Group(items, mods_text, value, per_die, bool(successes), label)

    return roll_group


def _terms_of(node: ResultNode) -> list[DiceTerm]:
    if isinstance(node, DiceTerm):
        return [node]
    if not isinstance(node, Chain):
        return []  # a constant of the sub-roll
    return [t for part in [node.first, *(o for _, o in node.rest)] for t in _terms_of(part)]


def _resum(node: ResultNode) -> int | float:
    """Recompute the sub-roll's total after keep/drop changed which dice count."""
    if isinstance(node, Chain):
        total = _resum(node.first)
        for op, operand in node.rest:
            total = total + _resum(operand) if op == "+" else total - _resum(operand)
        node.value = total
    elif isinstance(node, DiceTerm):
        node.value = sum(d.value for d in node.dice if d.kept)
    return node.value


def _per_die(
    node: ResultNode,
    keeps: tuple[Keep, ...],
    successes: tuple[ComparePoint, ...],
    failures: tuple[ComparePoint, ...],
    constant: int | float,
) -> int | float:
    """Apply the group's modifiers to each die, the sub-roll's constant added to each."""
    dice: list[Die] = [d for term in _terms_of(node) for d in term.dice]
    apply_keeps(dice, keeps)  # adding the same constant to each die keeps the order
    _resum(node)
    kept = [d for d in dice if d.kept]
    if not successes:
        return sum(d.value for d in kept) + constant * len(kept)
    count = 0
    for die in kept:
        value = die.value + constant
        if any(_at(p, value) for p in successes):
            die.success = True
            count += 1
        elif any(_at(p, value) for p in failures):
            die.failure = True
            count -= 1
    return count


def _items_value(
    items: list[GroupItem],
    successes: tuple[ComparePoint, ...],
    failures: tuple[ComparePoint, ...],
) -> int | float:
    if not successes:
        return sum(item.value for item in items if item.kept)
    count = 0
    for item in items:
        if not item.kept:
            continue
        if any(_at(p, item.value) for p in successes):
            item.success = True
            count += 1
        elif any(_at(p, item.value) for p in failures):
            item.failure = True
            count -= 1
    return count


def _at(point: ComparePoint, value: int | float) -> bool:
    # Sub-roll totals may be fractional; compare points are inclusive as in Roll20.
    if point.op == "=":
        return value == point.value
    return value >= point.value if point.op == ">" else value <= point.value
