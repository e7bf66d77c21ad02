"""Syntax tree of a dice expression, as built by the parser, and its canonical notation.

Nodes are immutable, so a parsed expression can be cached and evaluated many times.
Every node remembers the 1-based column where it starts, for error messages.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal, TypeAlias

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


Modifier: TypeAlias = Keep | Explode | Reroll | Success | Failure | CritMark | Clamp | Sort


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


def format_number(value: int | float) -> str:
    """Return a number as players write it: no `.0`, at most 4 decimals."""
    if isinstance(value, int):
        return str(value)
    if value.is_integer():
        return str(int(value))
    text = f"{value:.4f}".rstrip("0").rstrip(".")
    return text if text not in ("0", "-0") else f"{value:.2g}"


def modifier_notation(modifier: Modifier) -> str:
    """Return the canonical spelling of one modifier."""
    match modifier:
        case Keep(kind, count):
            return f"{kind}{count}"
        case Explode(kind, point, once):
            head = "xo" if once else kind
            return head + ("" if point is None else point.notation())
        case Reroll(point, once):
            return ("ro" if once else "r") + point.notation()
        case Success(point):
            return point.notation(bare_equals=False)
        case Failure(point):
            return "f" + point.notation()
        case CritMark(kind, point):
            return kind + point.notation()
        case Clamp(kind, value):
            return f"{kind}{value}"
        case Sort(descending):
            return "sd" if descending else "s"


def _label(label: str | None) -> str:
    return "" if label is None else f"[{label}]"


def dice_notation(node: DiceNode) -> str:
    """Return the canonical spelling of a dice term, e.g. `2d20kh1`."""
    count = "1" if node.count is None else notation(node.count)
    sides = node.sides if isinstance(node.sides, str) else notation(node.sides)
    mods = "".join(modifier_notation(m) for m in node.modifiers)
    return f"{count}d{sides}{mods}{_label(node.label)}"


def notation(node: Expr) -> str:
    """Return the canonical notation of an expression (normalised spacing and aliases)."""
    match node:
        case NumberNode(value, _, label):
            return format_number(value) + _label(label)
        case DiceNode():
            return dice_notation(node)
        case GroupNode(items, modifiers, _, label):
            mods = "".join(modifier_notation(m) for m in modifiers)
            return "{" + ", ".join(notation(i) for i in items) + "}" + mods + _label(label)
        case ChainNode(first, rest, _):
            return notation(first) + "".join(f" {p.op} {notation(p.operand)}" for p in rest)
        case PowerNode(base, exponent, _):
            return f"{notation(base)} ** {notation(exponent)}"
        case UnaryNode(op, operand, _):
            return op + notation(operand)
        case CallNode(name, arg, _, label):
            return f"{name}({notation(arg)}){_label(label)}"
        case ParenNode(inner, _, label):
            return f"({notation(inner)}){_label(label)}"


def walk(node: Expr) -> list[Expr]:
    """Return `node` and all its descendants, parents first."""
    found: list[Expr] = []
    stack: list[Expr] = [node]
    while stack:
        current = stack.pop()
        found.append(current)
        stack.extend(reversed(children(current)))
    return found


def children(node: Expr) -> list[Expr]:
    """Return the direct sub-expressions of `node`, in evaluation order."""
    match node:
        case DiceNode(count, sides):
            return [e for e in (count, sides) if e is not None and not isinstance(e, str)]
        case GroupNode(items):
            return list(items)
        case ChainNode(first, rest):
            return [first, *(part.operand for part in rest)]
        case PowerNode(base, exponent):
            return [base, exponent]
        case UnaryNode(_, operand):
            return [operand]
        case CallNode(_, arg):
            return [arg]
        case ParenNode(inner):
            return [inner]
    return []
