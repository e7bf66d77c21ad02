"""Recursive-descent parser for dice notation, with an explicit nesting budget.

Grammar (whitespace allowed between tokens, never inside a dice term)::

    roll    := sum [whitespace comment]
    sum     := product (("+" | "-") product)*
    product := unary (("*" | "/" | "%") unary)*
    unary   := ("-" | "+") unary | power
    power   := primary ["**" unary]
    primary := (number | "(" sum ")") ["d" sides modifiers] [label]
             | "d" sides modifiers [label]
             | "{" sum ("," sum)* "}" group-modifiers [label]
             | function "(" sum ")" [label]

Every construct that nests (parentheses, groups, calls, unary signs, powers) spends
one level of `Limits.max_depth`, so the recursion is bounded by configuration, and
operator chains are flattened into one node so `1+1+...+1` never recurses.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from typing import Literal, cast

from . import dialects, lexer
from .errors import DiceLimitError, DiceRuleError, DiceSyntaxError
from .lexer import Scanner
from .limits import DEFAULT_LIMITS, Limits
from .nodes import (
    CallNode,
    ChainNode,
    ChainPart,
    Clamp,
    CompareOp,
    ComparePoint,
    CritMark,
    DiceNode,
    Explode,
    Expr,
    Failure,
    GroupNode,
    Keep,
    KeepKind,
    Match,
    Modifier,
    NumberNode,
    ParenNode,
    PowerNode,
    Reroll,
    Sort,
    Success,
    UnaryNode,
)
from .plan import check_sides

FUNCTIONS = ("floor", "ceil", "round", "abs")
_KEEP_ALIASES: dict[str, KeepKind] = {
    "k": "kh",
    "kh": "kh",
    "kl": "kl",
    "d": "dl",
    "dl": "dl",
    "pl": "dl",
    "dh": "dh",
    "ph": "dh",
}
_GROUP_MODIFIERS = (Keep, Success, Failure)


@dataclass(frozen=True, slots=True)
class Parsed:
    """A parsed roll: the expression tree and the trailing comment, if any."""

    tree: Expr
    comment: str | None


def parse(text: str, limits: Limits = DEFAULT_LIMITS) -> Parsed:
    """Parse a roll such as `2d20kh1+5 Attack` into a tree and a comment."""
    if len(text) > limits.max_input_length:
        raise DiceLimitError(
            f"The expression is too long: {len(text)} characters, "
            f"the limit is {limits.max_input_length}",
            limits.max_input_length + 1,
        )
    return _Parser(text, limits).roll()


class _Parser:
    """One parse of one text; holds the cursor and the current nesting depth."""

    def __init__(self, text: str, limits: Limits) -> None:
        self.scan = Scanner(text)
        self.limits = limits
        self.depth = 0

    # -- structure ---------------------------------------------------------------

    def roll(self) -> Parsed:
        scan = self.scan
        scan.skip_space()
        if scan.at_end():
            raise DiceSyntaxError("The expression is empty; try something like 1d20+5", 1)
        dialects.check_start(scan.text)
        tree = self.sum()
        end = scan.pos
        spaced = scan.skip_space()
        if scan.at_end():
            return Parsed(tree, None)
        if not spaced:
            raise scan.error("Unexpected character")
        # Text after a complete expression and a space is the roll's comment (Roll20),
        # unless another dialect would read it as part of the roll.
        comment = scan.text[scan.pos :].strip()
        dialects.check_comment(scan.text[:end].strip(), comment, scan.column)
        return Parsed(tree, comment)

    def enter(self, column: int) -> None:
        self.depth += 1
        if self.depth > self.limits.max_depth:
            raise DiceLimitError(
                f"The expression is nested too deeply (limit {self.limits.max_depth} levels)",
                column,
            )

    def sum(self) -> Expr:
        return self.chain("+-", self.product)

    def product(self) -> Expr:
        return self.chain("*/%", self.unary)

    def chain(self, ops: str, operand: Callable[[], Expr]) -> Expr:
        scan = self.scan
        first = operand()
        parts: list[ChainPart] = []
        while True:
            save = scan.pos
            scan.skip_space()
            op = scan.peek()
            if not op or op not in ops or scan.peek(2) == "**":
                scan.pos = save
                break
            column = scan.column
            scan.pos += 1
            op_lit = cast(Literal["+", "-", "*", "/", "%"], op)
            parts.append(ChainPart(op_lit, operand(), column))
        if not parts:
            return first
        return ChainNode(first, tuple(parts), _column_of(first))

    def unary(self) -> Expr:
        scan = self.scan
        scan.skip_space()
        op = scan.peek()
        if op in ("-", "+") and op:
            column = scan.column
            scan.pos += 1
            self.enter(column)
            operand = self.unary()
            self.depth -= 1
            return UnaryNode(cast(Literal["-", "+"], op), operand, column)
        return self.power()

    def power(self) -> Expr:
        scan = self.scan
        base = self.primary()
        save = scan.pos
        scan.skip_space()
        if not scan.accept("**"):
            scan.pos = save
            return base
        self.enter(scan.column)
        exponent = self.unary()
        self.depth -= 1
        return PowerNode(base, exponent, _column_of(base))

    def nested(self, opening: str, closing: str, what: str) -> Expr:
        scan = self.scan
        self.enter(scan.column)
        scan.expect(opening, what)
        inner = self.sum()
        scan.skip_space()
        scan.expect(closing, f"'{closing}'")
        self.depth -= 1
        return inner

    # -- atoms -------------------------------------------------------------------

    def primary(self) -> Expr:
        scan = self.scan
        scan.skip_space()
        column = scan.column
        char = scan.peek()
        if char == "(":
            paren = ParenNode(self.nested("(", ")", "'('"), column)
            if scan.peek() in ("d", "D"):
                return self.dice(paren, column)
            return self.labelled(paren)
        if char == "{":
            return self.group()
        number = scan.match(lexer.NUMBER)
        if number is not None:
            literal = self.number(number.group(), column)
            if scan.peek() in ("d", "D"):
                return self.dice(literal, column)
            return self.labelled(literal)
        if char in ("d", "D") and char and _starts_sides(scan.peek(2)[1:]):
            return self.dice(None, column)
        return self.call(column)

    def number(self, text: str, column: int) -> NumberNode:
        if len(text) - text.count(".") > self.limits.max_digits:
            raise DiceLimitError(
                f"This number is too long (limit {self.limits.max_digits} digits)", column
            )
        return NumberNode(float(text) if "." in text else int(text), column)

    def call(self, column: int) -> Expr:
        scan = self.scan
        word = scan.match(lexer.WORD)
        if word is None:
            raise scan.error("Expected a number, a die such as d20, or '('")
        name = word.group().lower()
        if name not in FUNCTIONS:
            scan.pos = word.start()
            raise scan.error(
                f"Unknown word '{word.group()}': expected dice, a number, or one of "
                + ", ".join(FUNCTIONS),
                column,
            )
        scan.skip_space()
        arg = self.nested("(", ")", f"'(' after {name}")
        func = cast(Literal["floor", "ceil", "round", "abs"], name)
        return self.labelled(CallNode(func, arg, column))

    def dice(self, count: Expr | None, column: int) -> Expr:
        scan = self.scan
        if isinstance(count, NumberNode):
            self.check_count(count)
        scan.pos += 1  # the "d"
        sides = self.sides()
        modifiers = self.modifiers(group=False)
        return self.labelled(DiceNode(count, sides, modifiers, column))

    def check_count(self, count: NumberNode) -> None:
        if not isinstance(count.value, int):
            raise DiceRuleError("The number of dice must be a whole number", count.column)
        if count.value > self.limits.max_dice:
            raise DiceLimitError(
                f"Too many dice: {count.value} (limit {self.limits.max_dice} per roll)",
                count.column,
            )

    def sides(self) -> Expr | Literal["F", "%"]:
        scan = self.scan
        column = scan.column
        char = scan.peek()
        if char == "%":
            scan.pos += 1
            return "%"
        if char in ("F", "f") and char:
            scan.pos += 1
            return "F"
        if char == "(":
            return ParenNode(self.nested("(", ")", "'('"), column)
        digits = scan.match(lexer.INTEGER)
        if digits is None:
            raise scan.error("Expected the number of sides after 'd' (like d20, d% or dF)")
        node = self.number(digits.group(), column)
        check_sides(int(node.value), self.limits, column)
        return node

    def group(self) -> Expr:
        scan = self.scan
        column = scan.column
        self.enter(column)
        scan.pos += 1  # the "{"
        items = [self.sum()]
        scan.skip_space()
        while scan.accept(","):
            items.append(self.sum())
            scan.skip_space()
        scan.expect("}", "',' or '}' to close the group")
        self.depth -= 1
        modifiers = self.modifiers(group=True)
        return self.labelled(GroupNode(tuple(items), modifiers, column))

    def labelled(self, node: Expr) -> Expr:
        scan = self.scan
        save = scan.pos
        scan.skip_space()
        found = scan.match(lexer.LABEL)
        if found is None:
            scan.pos = save
            return node
        label = found.group(1).strip() or None
        return _with_label(node, label)

    # -- modifiers ---------------------------------------------------------------

    def modifiers(self, *, group: bool) -> tuple[Modifier, ...]:
        scan = self.scan
        found: list[Modifier] = []
        while True:
            column = scan.column
            name = scan.match(lexer.MODIFIER)
            if name is None:
                break
            modifier = self.modifier(name.group().lower(), column)
            if group and not isinstance(modifier, _GROUP_MODIFIERS):
                raise DiceSyntaxError(
                    f"The modifier '{name.group()}' cannot be used on a group "
                    "(groups take keep/drop and success counting)",
                    column,
                )
            found.append(modifier)
        char = scan.peek()
        if char and (char.isalpha() or char in "!<>="):
            raise scan.error("Unknown dice modifier")
        check_modifiers(found, self.scan.column)
        return tuple(found)

    def modifier(self, name: str, column: int) -> Modifier:
        if name in _KEEP_ALIASES:
            dialects.check_keep_by_value(name, self.scan.peek(), column)
            count = self.scan.match(lexer.INTEGER)
            amount = 1 if count is None else self.integer(count.group(), column)
            return Keep(_KEEP_ALIASES[name], amount)
        if name in ("!", "!!", "!p", "x", "xo", "e"):
            point = self.point(required=False)
            kind = name if name in ("!!", "!p") else "!"
            return Explode(cast(Literal["!", "!!", "!p"], kind), point, once=name == "xo")
        if name in ("r", "rr", "ro"):
            # A bare `r` rerolls ones, as in Roll20 (`8d6r` is `8d6r1`).
            point = self.point(required=False) or ComparePoint("=", 1)
            return Reroll(point, once=name == "ro")
        if name in ("cs", "cf"):
            return CritMark(cast(Literal["cs", "cf"], name), self.required_point(name))
        if name in ("mi", "min", "ma", "max"):
            return Clamp("mi" if name.startswith("mi") else "ma", self.signed(name, column))
        if name in ("s", "sa", "sd"):
            return Sort(descending=name == "sd")
        if name == "f":
            return Failure(self.required_point("f"))
        if name in ("m", "mt"):
            return self.match(count=name == "mt", column=column)
        # A bare compare point right after the dice counts successes.
        self.scan.pos = column - 1
        return Success(self.required_point("a success target"))

    def match(self, *, count: bool, column: int) -> Match:
        """Parse the rest of `m`/`mt`: an optional set size, then an optional `>N`/`<N`/`=N`."""
        size = self.scan.match(lexer.INTEGER)
        minimum = 2 if size is None else self.integer(size.group(), column)
        if minimum < 2:
            raise DiceRuleError("A match needs at least 2 dice (m2, the default, or more)", column)
        point = self.point(required=True) if self.scan.peek() in ("<", ">", "=") else None
        return Match(count, minimum, point)

    def required_point(self, what: str) -> ComparePoint:
        point = self.point(required=True)
        if point is None:  # pragma: no cover - point() raises when required
            raise self.scan.error(f"Expected a number after {what}")
        return point

    def point(self, *, required: bool) -> ComparePoint | None:
        scan = self.scan
        column = scan.column
        op_match = scan.match(lexer.COMPARE)
        op = op_match.group(1) if op_match is not None else None
        digits = scan.match(lexer.SIGNED if op else lexer.INTEGER)
        if digits is None:
            if op or required:
                raise scan.error("Expected a number to compare with (like 6, >5 or <2)")
            return None
        compare = cast(CompareOp, "=" if op is None else op[0])
        return ComparePoint(compare, self.integer(digits.group(), column))

    def signed(self, name: str, column: int) -> int:
        digits = self.scan.match(lexer.SIGNED)
        if digits is None:
            raise self.scan.error(f"Expected a number after {name}")
        return self.integer(digits.group(), column)

    def integer(self, text: str, column: int) -> int:
        if len(text.lstrip("-")) > self.limits.max_digits:
            raise DiceLimitError(
                f"This number is too long (limit {self.limits.max_digits} digits)", column
            )
        return int(text)


def check_modifiers(modifiers: list[Modifier], column: int) -> None:
    """Reject modifier combinations that have no sensible meaning."""
    if len(modifiers) < 2:  # the common case; only `f` alone is wrong
        if modifiers and isinstance(modifiers[0], Failure):
            raise DiceSyntaxError(
                "f (failures) needs a success target first, like 10d10>8f1", column
            )
        return
    if sum(isinstance(m, Explode) for m in modifiers) > 1:
        raise DiceSyntaxError("Use only one explosion modifier (!, !! or !p) per dice term", column)
    if len({m.once for m in modifiers if isinstance(m, Reroll)}) > 1:
        raise DiceSyntaxError("Do not mix r (reroll until clear) and ro (reroll once)", column)
    for kind in ("mi", "ma"):
        if sum(isinstance(m, Clamp) and m.kind == kind for m in modifiers) > 1:
            raise DiceSyntaxError(f"Use {kind} only once per dice term", column)
    matches = [m for m in modifiers if isinstance(m, Match)]
    if len(matches) > 1:
        raise DiceSyntaxError("Use only one match modifier (m or mt) per dice term", column)
    if any(m.count for m in matches) and any(isinstance(m, Success) for m in modifiers):
        raise DiceSyntaxError(
            "mt counts matching sets, so it cannot be combined with a success target", column
        )
    if sum(isinstance(m, Sort) for m in modifiers) > 1:
        raise DiceSyntaxError("Use only one sort modifier per dice term", column)
    if any(isinstance(m, Failure) for m in modifiers) and not any(
        isinstance(m, Success) for m in modifiers
    ):
        raise DiceSyntaxError("f (failures) needs a success target first, like 10d10>8f1", column)


def _starts_sides(char: str) -> bool:
    return bool(char) and (char.isdigit() or char in "%Ff(")


def _column_of(node: Expr) -> int:
    return node.column


def _with_label(node: Expr, label: str | None) -> Expr:
    if isinstance(node, NumberNode | DiceNode | GroupNode | CallNode | ParenNode):
        return replace(node, label=label)
    return node  # pragma: no cover - only atoms are labelled
