"""Compile a syntax tree into nested closures that roll it and build the result tree.

Compiling once and caching the closures (see `roller`) keeps the per-roll work to
drawing dice and allocating result nodes; no tree walking or dispatch on node types
happens while rolling.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from . import arithmetic
from .groups import compile_group
from .limits import Limits
from .nodes import (
    CallNode,
    ChainNode,
    DiceNode,
    Expr,
    GroupNode,
    NumberNode,
    ParenNode,
    PowerNode,
    UnaryNode,
)
from .results import Call, Chain, Constant, DiceTerm, Paren, Power, ResultNode, Unary
from .terms import compile_term


class Context:
    """The mutable state of one roll: the random source, the dice budget, the terms."""

    __slots__ = ("budget", "limits", "randrange", "terms")

    def __init__(self, randrange: Callable[[int], int], limits: Limits) -> None:
        self.randrange = randrange
        self.limits = limits
        self.budget = limits.max_dice
        self.terms: list[DiceTerm] = []


Evaluator: TypeAlias = Callable[[Context], ResultNode]


def compile_expr(node: Expr) -> Evaluator:
    """Compile an expression node into a function that rolls it."""
    if isinstance(node, NumberNode):
        constant = Constant(node.value, node.label)
        return lambda ctx: constant
    if isinstance(node, DiceNode):
        return compile_term(node, compile_expr)
    if isinstance(node, ChainNode):
        return _compile_chain(node)
    if isinstance(node, GroupNode):
        return compile_group(node, compile_expr)
    if isinstance(node, PowerNode):
        return _compile_power(node)
    if isinstance(node, UnaryNode):
        return _compile_unary(node)
    if isinstance(node, CallNode):
        return _compile_call(node)
    return _compile_paren(node)


def _compile_chain(node: ChainNode) -> Evaluator:
    first = compile_expr(node.first)
    rest = [(part.op, compile_expr(part.operand), part.column) for part in node.rest]
    column = node.column
    if all(op in "+-" for op, _, _ in rest):
        # Sums are the common case: inline them and bound once at the end.
        def roll_sum(ctx: Context) -> ResultNode:
            left = first(ctx)
            total = left.value
            parts: list[tuple[str, ResultNode]] = []
            for op, fn, _ in rest:
                operand = fn(ctx)
                parts.append((op, operand))
                total = total + operand.value if op == "+" else total - operand.value
            total = arithmetic.normalize(total)
            bound = ctx.limits.value_bound
            if -bound <= total <= bound:
                return Chain(left, parts, total)
            return Chain(left, parts, arithmetic.bounded(total, bound, column))

        return roll_sum

    def roll_chain(ctx: Context) -> ResultNode:
        left = first(ctx)
        total = left.value
        parts: list[tuple[str, ResultNode]] = []
        for op, fn, op_column in rest:
            operand = fn(ctx)
            parts.append((op, operand))
            total = arithmetic.apply(op, total, operand.value, ctx.limits.value_bound, op_column)
        return Chain(left, parts, total)

    return roll_chain


def _compile_power(node: PowerNode) -> Evaluator:
    base, exponent, column = compile_expr(node.base), compile_expr(node.exponent), node.column

    def roll_power(ctx: Context) -> ResultNode:
        left, right = base(ctx), exponent(ctx)
        value = arithmetic.power(left.value, right.value, ctx.limits.value_bound, column)
        return Power(left, right, value)

    return roll_power


def _compile_unary(node: UnaryNode) -> Evaluator:
    operand, op = compile_expr(node.operand), node.op

    def roll_unary(ctx: Context) -> ResultNode:
        inner = operand(ctx)
        return Unary(op, inner, -inner.value if op == "-" else inner.value)

    return roll_unary


def _compile_call(node: CallNode) -> Evaluator:
    arg, name, label = compile_expr(node.arg), node.name, node.label

    def roll_call(ctx: Context) -> ResultNode:
        inner = arg(ctx)
        return Call(name, inner, arithmetic.call(name, inner.value), label)

    return roll_call


def _compile_paren(node: ParenNode) -> Evaluator:
    inner_fn, label = compile_expr(node.inner), node.label

    def roll_paren(ctx: Context) -> ResultNode:
        inner = inner_fn(ctx)
        return Paren(inner, inner.value, label)

    return roll_paren
