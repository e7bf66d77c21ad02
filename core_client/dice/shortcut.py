"""A direct roller for the commonest rolls: `NdX` plus or minus whole numbers.

`1d20`, `1d20+5`, `2d6+3` and `8d6` are most of what a table rolls, and drawing
their dice is cheap: the rest of a roll (a `Context`, the closures of the term and
the chain, the crit scan) was 6.5 to 10 times the cost of the draws. For these
shapes the compiled program also gets a single function that draws the dice and
builds the very same result tree, used when a roll starts with a fresh dice budget
(the count is checked against `max_dice` when compiling). Anything else returns
None and goes the general way; tests check that both ways build equal results from
equal draws.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TypeAlias

from .limits import Limits
from .nodes import ChainNode, DiceNode, Expr, NumberNode
from .plan import plan_term
from .results import Chain, Constant, DiceTerm, Die, ResultNode, RollResult

Draw: TypeAlias = Callable[[int], int]
Direct: TypeAlias = Callable[[Draw], RollResult]


@dataclass(frozen=True, slots=True)
class Shape:
    """What a direct roller needs: `count`d`size`, then whole numbers added."""

    notation: str
    comment: str | None
    term_notation: str
    label: str | None
    count: int
    size: int
    parts: list[tuple[str, ResultNode]]  # copied into each result, never handed out
    offset: int  # the numbers' sum


def compile_direct(tree: Expr, limits: Limits, notation: str, comment: str | None) -> Direct | None:
    """Return a direct roller for `tree` when it is plain `NdX` and whole numbers, else None."""
    first, rest = (tree.first, tree.rest) if isinstance(tree, ChainNode) else (tree, ())
    dice = _plain_dice(first)
    if dice is None or not isinstance(first, DiceNode):
        return None
    count, size = dice
    parts: list[tuple[str, ResultNode]] = []
    offset = magnitude = 0
    for part in rest:
        operand = part.operand
        if part.op not in "+-" or not isinstance(operand, NumberNode):
            return None
        if type(operand.value) is not int:
            return None  # floats go the general way, which normalises them
        parts.append((part.op, Constant(operand.value, operand.label)))
        offset += operand.value if part.op == "+" else -operand.value
        magnitude += abs(operand.value)
    if count > limits.max_dice or count * size + magnitude > limits.value_bound:
        return None  # the general way refuses it, with its error
    term_notation = plan_term(first).notation
    shape = Shape(notation, comment, term_notation, first.label, count, size, parts, offset)
    return _one_die(shape) if count == 1 else _many_dice(shape)


def _plain_dice(node: Expr) -> tuple[int, int] | None:
    """Return (count, size) of a literal `NdX` (or `dX`, `d%`) without modifiers, else None."""
    if not isinstance(node, DiceNode) or node.modifiers:
        return None
    count = 1 if node.count is None else _whole(node.count)
    size = 100 if node.sides == "%" else _whole(node.sides)
    if count is None or size is None or count < 1 or size < 1:
        return None
    return count, size


def _whole(node: Expr | str) -> int | None:
    if isinstance(node, NumberNode) and type(node.value) is int:
        return node.value
    return None


def _one_die(shape: Shape) -> Direct:
    notation, comment, term_notation = shape.notation, shape.comment, shape.term_notation
    label, size, parts, offset = shape.label, shape.size, shape.parts, shape.offset
    crits = size == 20  # the d20 rule; a plain term has no cs/cf of its own

    def roll_one(draw: Draw) -> RollResult:
        face = draw(size) + 1
        die = Die(size, face, face, True, face == size, face == 1)
        term = DiceTerm(term_notation, 1, size, label, [die], face)
        crit, fumble = (face == 20, face == 1) if crits else (False, False)
        if not parts:
            return RollResult(notation, comment, face, term, crit, fumble, [term])
        total = face + offset
        tree = Chain(term, parts.copy(), total)
        return RollResult(notation, comment, total, tree, crit, fumble, [term])

    return roll_one


def _many_dice(shape: Shape) -> Direct:
    notation, comment, term_notation = shape.notation, shape.comment, shape.term_notation
    label, size, parts, offset, count = (
        shape.label,
        shape.size,
        shape.parts,
        shape.offset,
        shape.count,
    )
    crits = size == 20
    draws = range(count)

    def roll_many(draw: Draw) -> RollResult:
        faces = [draw(size) + 1 for _ in draws]
        dice = [Die(size, f, f, True, f == size, f == 1) for f in faces]
        value = sum(faces)
        term = DiceTerm(term_notation, count, size, label, dice, value)
        crit, fumble = (20 in faces, 1 in faces) if crits else (False, False)
        if not parts:
            return RollResult(notation, comment, value, term, crit, fumble, [term])
        total = value + offset
        tree = Chain(term, parts.copy(), total)
        return RollResult(notation, comment, total, tree, crit, fumble, [term])

    return roll_many
