"""Advantage and disadvantage: rewrite the first d20 into `2d20kh1` or `2d20kl1`."""

from __future__ import annotations

import enum
from dataclasses import replace

from .errors import DiceRuleError
from .nodes import (
    CallNode,
    ChainNode,
    DiceNode,
    Expr,
    GroupNode,
    Keep,
    NumberNode,
    ParenNode,
    PowerNode,
    UnaryNode,
    dice_notation,
)


class Advantage(enum.StrEnum):
    """How to roll the first d20 of an expression."""

    NONE = "none"
    ADVANTAGE = "advantage"
    DISADVANTAGE = "disadvantage"


def apply_advantage(tree: Expr, advantage: Advantage) -> Expr:
    """Return `tree` with its first d20 (in evaluation order) rolled twice, keeping one."""
    if advantage is Advantage.NONE:
        return tree
    rewritten = _rewrite(tree, "kh" if advantage is Advantage.ADVANTAGE else "kl")
    if rewritten is None:
        raise DiceRuleError(f"{advantage.value.capitalize()} needs a d20 in the expression", 1)
    return rewritten


def _is_d20(node: DiceNode) -> bool:
    return isinstance(node.sides, NumberNode) and node.sides.value == 20


def _upgrade(node: DiceNode, kind: str) -> DiceNode:
    single = node.count is None or (isinstance(node.count, NumberNode) and node.count.value == 1)
    if not single or any(isinstance(m, Keep) for m in node.modifiers):
        raise DiceRuleError(
            f"Advantage rolls a single d20 twice, but the first d20 here is {dice_notation(node)}",
            node.column,
        )
    keep = Keep("kh" if kind == "kh" else "kl", 1)
    return replace(node, count=NumberNode(2, node.column), modifiers=(keep, *node.modifiers))


def _rewrite(node: Expr, kind: str) -> Expr | None:
    """Return a copy with the first d20 upgraded, or None when there is no d20."""
    if isinstance(node, DiceNode):
        return _rewrite_dice(node, kind)
    if isinstance(node, GroupNode | ChainNode):
        return _rewrite_sequence(node, kind)
    if isinstance(node, PowerNode):
        base = _rewrite(node.base, kind)
        if base is not None:
            return replace(node, base=base)
        exponent = _rewrite(node.exponent, kind)
        return None if exponent is None else replace(node, exponent=exponent)
    if isinstance(node, UnaryNode):
        operand = _rewrite(node.operand, kind)
        return None if operand is None else replace(node, operand=operand)
    if isinstance(node, CallNode):
        arg = _rewrite(node.arg, kind)
        return None if arg is None else replace(node, arg=arg)
    if isinstance(node, ParenNode):
        inner = _rewrite(node.inner, kind)
        return None if inner is None else replace(node, inner=inner)
    return None


def _rewrite_dice(node: DiceNode, kind: str) -> Expr | None:
    if node.count is not None:
        count = _rewrite(node.count, kind)
        if count is not None:
            return replace(node, count=count)
    if not isinstance(node.sides, str):
        sides = _rewrite(node.sides, kind)
        if sides is not None:
            return replace(node, sides=sides)
    return _upgrade(node, kind) if _is_d20(node) else None


def _rewrite_sequence(node: GroupNode | ChainNode, kind: str) -> Expr | None:
    if isinstance(node, GroupNode):
        for index, item in enumerate(node.items):
            found = _rewrite(item, kind)
            if found is not None:
                items = (*node.items[:index], found, *node.items[index + 1 :])
                return replace(node, items=items)
        return None
    first = _rewrite(node.first, kind)
    if first is not None:
        return replace(node, first=first)
    for index, part in enumerate(node.rest):
        found = _rewrite(part.operand, kind)
        if found is not None:
            rest = (*node.rest[:index], replace(part, operand=found), *node.rest[index + 1 :])
            return replace(node, rest=rest)
    return None
