"""Syntax tree of a dice expression, as built by the parser, and its canonical notation.

Nodes are immutable, so a parsed expression can be cached and evaluated many times.
Every node remembers the 1-based column where it starts, for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

from .dispatch import Dispatch

CompareOp: TypeAlias = Literal["=", ">", "<"]
KeepKind: TypeAlias = Literal["kh", "kl", "dh", "dl"]
ExplodeKind: TypeAlias = Literal["!", "!!", "!p"]


@dataclass(frozen=True, slots=True)
class ComparePoint:
    """A Roll20 compare point; `>` and `<` are inclusive (`>3` means 3 or more)."""

    op: CompareOp
    value: int

    def matches(self, number: float) -> bool:
        """Return whether `number` hits this compare point."""
        if self.op == "=":
            return number == self.value
        if self.op == ">":
            return number >= self.value
        return number <= self.value

    def notation(self, *, bare_equals: bool = True) -> str:
        """Return the canonical spelling, e.g. `>3` or `6`."""
        if self.op == "=" and bare_equals:
            return str(self.value)
        return f"{self.op}{self.value}"


@dataclass(frozen=True, slots=True)
class Keep:
    """Keep or drop the highest or lowest `count` dice (or group items)."""

    kind: KeepKind
    count: int


@dataclass(frozen=True, slots=True)
class Explode:
    """Explode (`!`), compound (`!!`) or penetrate (`!p`); `once` is Foundry's `xo`."""

    kind: ExplodeKind
    point: ComparePoint | None
    once: bool = False


@dataclass(frozen=True, slots=True)
class Reroll:
    """Reroll dice hitting `point`, until clear (`r`) or at most once (`ro`)."""

    point: ComparePoint
    once: bool


@dataclass(frozen=True, slots=True)
class Success:
    """Count dice (or group items) hitting `point` as successes."""

    point: ComparePoint


@dataclass(frozen=True, slots=True)
class Failure:
    """Subtract dice (or group items) hitting `point` as failures (`f`)."""

    point: ComparePoint


@dataclass(frozen=True, slots=True)
class CritMark:
    """Set which faces show as critical successes (`cs`) or failures (`cf`)."""

    kind: Literal["cs", "cf"]
    point: ComparePoint


@dataclass(frozen=True, slots=True)
class Clamp:
    """Raise dice below a floor (`mi`) or lower dice above a ceiling (`ma`)."""

    kind: Literal["mi", "ma"]
    value: int


@dataclass(frozen=True, slots=True)
class Sort:
    """Sort the shown dice ascending (`s`, `sa`) or descending (`sd`)."""

    descending: bool


@dataclass(frozen=True, slots=True)
class Match:
    """Roll20's matching dice: `m` marks dice showing a value that `minimum` or more dice
    show (only values hitting `point`, when given); `mt` counts those sets instead."""

    count: bool
    minimum: int = 2
    point: ComparePoint | None = None


Modifier: TypeAlias = Keep | Explode | Reroll | Success | Failure | CritMark | Clamp | Sort | Match
MODIFIER_TYPES = (Keep, Explode, Reroll, Success, Failure, CritMark, Clamp, Sort, Match)


@dataclass(frozen=True, slots=True)
class NumberNode:
    """A numeric literal such as `5` or `1.5`."""

    value: int | float
    column: int
    label: str | None = None


@dataclass(frozen=True, slots=True)
class DiceNode:
    """A dice term `NdX` with its modifiers; `count` None means the implicit 1 of `d20`."""

    count: Expr | None
    sides: Expr | Literal["F", "%"]
    modifiers: tuple[Modifier, ...]
    column: int
    label: str | None = None


@dataclass(frozen=True, slots=True)
class GroupNode:
    """A Roll20 group `{a, b}` with keep/drop and success modifiers."""

    items: tuple[Expr, ...]
    modifiers: tuple[Modifier, ...]
    column: int
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ChainPart:
    """One `op operand` step of a left-associative chain."""

    op: Literal["+", "-", "*", "/", "%"]
    operand: Expr
    column: int


@dataclass(frozen=True, slots=True)
class ChainNode:
    """Operators of one precedence level, flattened so long sums never recurse deeply."""

    first: Expr
    rest: tuple[ChainPart, ...]
    column: int


@dataclass(frozen=True, slots=True)
class PowerNode:
    """Exponentiation `a ** b` (right-associative)."""

    base: Expr
    exponent: Expr
    column: int


@dataclass(frozen=True, slots=True)
class UnaryNode:
    """Unary minus or plus."""

    op: Literal["-", "+"]
    operand: Expr
    column: int


@dataclass(frozen=True, slots=True)
class CallNode:
    """One of the functions `floor`, `ceil`, `round`, `abs`."""

    name: Literal["floor", "ceil", "round", "abs"]
    arg: Expr
    column: int
    label: str | None = None


@dataclass(frozen=True, slots=True)
class ParenNode:
    """A parenthesised sub-expression."""

    inner: Expr
    column: int
    label: str | None = None


Expr: TypeAlias = (
    NumberNode | DiceNode | GroupNode | ChainNode | PowerNode | UnaryNode | CallNode | ParenNode
)
EXPR_TYPES = (NumberNode, DiceNode, GroupNode, ChainNode, PowerNode, UnaryNode, CallNode, ParenNode)


def format_number(value: int | float) -> str:
    """Return a number as players write it: no `.0`, at most 4 decimals."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{value:.2g}"


def _point_text(point: ComparePoint) -> str:
    return point.notation()


def _match_notation(match: Match) -> str:
    minimum = "" if match.minimum == 2 else str(match.minimum)
    point = "" if match.point is None else match.point.notation(bare_equals=False)
    return ("mt" if match.count else "m") + minimum + point


_MODIFIER_NOTATION: Dispatch[Modifier, str] = Dispatch(
    MODIFIER_TYPES,
    {
        Keep: lambda m: f"{m.kind}{m.count}",
        Explode: lambda m: (
            ("xo" if m.once else m.kind) + ("" if m.point is None else _point_text(m.point))
        ),
        Reroll: lambda m: ("ro" if m.once else "r") + _point_text(m.point),
        Success: lambda m: m.point.notation(bare_equals=False),
        Failure: lambda m: "f" + _point_text(m.point),
        CritMark: lambda m: m.kind + _point_text(m.point),
        Clamp: lambda m: f"{m.kind}{m.value}",
        Sort: lambda m: "sd" if m.descending else "s",
        Match: _match_notation,
    },
)


def modifier_notation(modifier: Modifier) -> str:
    """Return the canonical spelling of one modifier."""
    return _MODIFIER_NOTATION(modifier)


def _label(label: str | None) -> str:
    return "" if label is None else f"[{label}]"


def dice_notation(node: DiceNode) -> str:
    """Return the canonical spelling of a dice term, e.g. `2d20kh1`."""
    count = "1" if node.count is None else notation(node.count)
    sides = node.sides if isinstance(node.sides, str) else notation(node.sides)
    mods = "".join(modifier_notation(m) for m in node.modifiers)
    return f"{count}d{sides}{mods}{_label(node.label)}"


def _group_notation(node: GroupNode) -> str:
    mods = "".join(modifier_notation(m) for m in node.modifiers)
    return "{" + ", ".join(notation(i) for i in node.items) + "}" + mods + _label(node.label)


def _chain_notation(node: ChainNode) -> str:
    return notation(node.first) + "".join(f" {p.op} {notation(p.operand)}" for p in node.rest)


notation: Dispatch[Expr, str] = Dispatch(
    EXPR_TYPES,
    {
        NumberNode: lambda n: format_number(n.value) + _label(n.label),
        DiceNode: dice_notation,
        GroupNode: _group_notation,
        ChainNode: _chain_notation,
        PowerNode: lambda n: f"{notation(n.base)} ** {notation(n.exponent)}",
        UnaryNode: lambda n: n.op + notation(n.operand),
        CallNode: lambda n: f"{n.name}({notation(n.arg)}){_label(n.label)}",
        ParenNode: lambda n: f"({notation(n.inner)}){_label(n.label)}",
    },
)
"""Return the canonical notation of an expression (normalised spacing and aliases)."""


def walk(node: Expr) -> list[Expr]:
    """Return `node` and all its descendants, parents first."""
    found: list[Expr] = []
    stack: list[Expr] = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(children(current)))
    return found


def _dice_children(node: DiceNode) -> list[Expr]:
    sides = [] if isinstance(node.sides, str) else [node.sides]
    return sides if node.count is None else [node.count, *sides]


children: Dispatch[Expr, list[Expr]] = Dispatch(
    EXPR_TYPES,
    {
        NumberNode: lambda n: [],
        DiceNode: _dice_children,
        GroupNode: lambda n: list(n.items),
        ChainNode: lambda n: [n.first, *(part.operand for part in n.rest)],
        PowerNode: lambda n: [n.base, n.exponent],
        UnaryNode: lambda n: [n.operand],
        CallNode: lambda n: [n.arg],
        ParenNode: lambda n: [n.inner],
    },
)
"""Return the direct sub-expressions of a node, in evaluation order."""
