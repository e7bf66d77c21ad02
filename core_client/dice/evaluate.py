"""Compile a syntax tree into nested closures that roll it and build the result tree.

Compiling once and caching the closures (see `program`) keeps the per-roll work to
drawing dice and allocating result nodes; no tree walking or dispatch on node types
happens while rolling. The walk is one dispatch table from node type to compiler;
children are compiled first and handed to `terms` and `groups`, which never compile.
"""

from __future__ import annotations

from . import arithmetic
from .context import Context, Evaluator
from .dispatch import Dispatch
from .groups import compile_group
from .nodes import (
    EXPR_TYPES,
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
from .results import Call, Chain, Constant, Paren, Power, ResultNode, Unary
from .terms import Count, Sides, compile_term


def _compile_number(node: NumberNode) -> Evaluator:
    constant = Constant(node.value, node.label)
    return lambda ctx: constant


def _compile_dice(node: DiceNode) -> Evaluator:
    count: Count
    if node.count is None:
        count = 1
    elif isinstance(node.count, NumberNode) and isinstance(node.count.value, int):
        count = node.count.value
    else:
        count = compile_expr(node.count)
    sides: Sides
    if node.sides == "%":
        sides = 100
    elif isinstance(node.sides, str):
        sides = "F"
    elif isinstance(node.sides, NumberNode):
        sides = int(node.sides.value)
    else:
        sides = compile_expr(node.sides)
    return compile_term(node, count, sides)


def _compile_group(node: GroupNode) -> Evaluator:
    return compile_group(node, [compile_expr(item) for item in node.items])


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


compile_expr: Dispatch[Expr, Evaluator] = Dispatch(
    EXPR_TYPES,
    {
        NumberNode: _compile_number,
        DiceNode: _compile_dice,
        GroupNode: _compile_group,
        ChainNode: _compile_chain,
        PowerNode: _compile_power,
        UnaryNode: _compile_unary,
        CallNode: _compile_call,
        ParenNode: _compile_paren,
    },
)
"""Compile an expression node into a function that rolls it."""
