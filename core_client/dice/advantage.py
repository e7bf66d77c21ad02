"""Advantage and disadvantage: rewrite the first d20 into `2d20kh1` or `2d20kl1`."""

from __future__ import annotations

import enum
from dataclasses import replace

from .dispatch import Dispatch
from .errors import DiceRuleError
from .nodes import (
    EXPR_TYPES,
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


class _Rewrite:
    """One rewrite: the keep kind to add and the dispatch table over node types."""

    def __init__(self, kind: str) -> None:
        self.kind = kind
        self.visit: Dispatch[Expr, Expr | None] = Dispatch(
            EXPR_TYPES,
            {
                NumberNode: lambda n: None,
                DiceNode: lambda n: _rewrite_dice(n, self),
                GroupNode: lambda n: _rewrite_sequence(n, self),
                ChainNode: lambda n: _rewrite_sequence(n, self),
                PowerNode: self.power,
                UnaryNode: self.unary,
                CallNode: self.call,
                ParenNode: self.paren,
            },
        )

    def power(self, node: PowerNode) -> Expr | None:
        base = self.visit(node.base)
        if base is not None:
            return replace(node, base=base)
        exponent = self.visit(node.exponent)
        return None if exponent is None else replace(node, exponent=exponent)

    def unary(self, node: UnaryNode) -> Expr | None:
        operand = self.visit(node.operand)
        return None if operand is None else replace(node, operand=operand)

    def call(self, node: CallNode) -> Expr | None:
        arg = self.visit(node.arg)
        return None if arg is None else replace(node, arg=arg)

    def paren(self, node: ParenNode) -> Expr | None:
        inner = self.visit(node.inner)
        return None if inner is None else replace(node, inner=inner)


def _rewrite(node: Expr, kind: str) -> Expr | None:
    """Return a copy with the first d20 upgraded, or None when there is no d20."""
    return _Rewrite(kind).visit(node)


def _rewrite_dice(node: DiceNode, rewrite: _Rewrite) -> Expr | None:
    if node.count is not None:
        count = rewrite.visit(node.count)
        if count is not None:
            return replace(node, count=count)
    if not isinstance(node.sides, str):
        sides = rewrite.visit(node.sides)
        if sides is not None:
            return replace(node, sides=sides)
    return _upgrade(node, rewrite.kind) if _is_d20(node) else None


def _rewrite_sequence(node: GroupNode | ChainNode, rewrite: _Rewrite) -> Expr | None:
    if isinstance(node, GroupNode):
        for index, item in enumerate(node.items):
            found = rewrite.visit(item)
            if found is not None:
                items = (*node.items[:index], found, *node.items[index + 1 :])
                return replace(node, items=items)
        return None
    first = rewrite.visit(node.first)
    if first is not None:
        return replace(node, first=first)
    for index, part in enumerate(node.rest):
        found = rewrite.visit(part.operand)
        if found is not None:
            rest = (*node.rest[:index], replace(part, operand=found), *node.rest[index + 1 :])
            return replace(node, rest=rest)
    return None
