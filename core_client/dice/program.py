"""The public entry points: roll an expression once or several times.

Parsed and compiled expressions are cached by text (an LRU), so rolling the same
`1d20+5` again only draws dice and builds the result tree. One-die rolls such as
`1d20+5` also get a direct roller (see `shortcut`), used whenever the roll has a
fresh dice budget of its own.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from .advantage import Advantage, apply_advantage
from .context import Context, Evaluator
from .errors import CONTAINED, DiceError, DiceLimitError, DiceSyntaxError, translated
from .evaluate import compile_expr
from .lexer import inline_end
from .limits import DEFAULT_LIMITS, Limits
from .nodes import CritMark, DiceNode, Expr, NumberNode, format_number, notation, walk
from .parse import Parsed, parse
from .results import DiceTerm, RollResult
from .shortcut import Direct, compile_direct

_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class Program:
    """A compiled roll: the function that rolls it, its notation and its comment."""

    run: Evaluator
    notation: str
    comment: str | None
    may_crit: bool  # has a d20, a computed die size or cs/cf, so crits must be looked for
    direct: Direct | None  # rolls it without a Context, for one-die shapes (`shortcut`)


def parse_roll(expression: str, limits: Limits, advantage: Advantage) -> Parsed:
    """Parse `expression` and apply the advantage option."""
    parsed = parse(expression, limits)
    if advantage is Advantage.NONE:
        return parsed
    return Parsed(apply_advantage(parsed.tree, advantage), parsed.comment)


def _build(expression: str, limits: Limits, advantage: Advantage) -> Program:
    try:
        parsed = parse_roll(expression, limits, advantage)
        tree = parsed.tree
        text, comment = notation(tree), parsed.comment
        direct = compile_direct(tree, limits, text, comment)
        return Program(compile_expr(tree), text, comment, _may_crit(tree), direct)
    except RecursionError:
        raise DiceLimitError("The expression is nested too deeply") from None


def _may_crit(tree: Expr) -> bool:
    for node in walk(tree):
        if not isinstance(node, DiceNode):
            continue
        if any(isinstance(m, CritMark) for m in node.modifiers):
            return True
        sides = node.sides
        if isinstance(sides, NumberNode):
            if sides.value == 20:
                return True
        elif not isinstance(sides, str):
            return True  # a computed size may come out as 20
    return False


@lru_cache(maxsize=_CACHE_SIZE)
def _default_program(expression: str) -> Program:
    return _build(expression, DEFAULT_LIMITS, Advantage.NONE)


@lru_cache(maxsize=_CACHE_SIZE)
def _program(expression: str, limits: Limits, advantage: Advantage) -> Program:
    return _build(expression, limits, advantage)


def compile_roll(
    expression: str, limits: Limits | None = None, advantage: Advantage = Advantage.NONE
) -> Program:
    """Return the compiled program for `expression`, from the cache when possible."""
    if limits is None and advantage is Advantage.NONE:
        return _default_program(expression)  # too long raises in parse(), never cached
    limits = limits or DEFAULT_LIMITS
    if len(expression) > limits.max_input_length:
        return _build(expression, limits, advantage)
    return _program(expression, limits, advantage)


_NO_ADVANTAGE = Advantage.NONE


def roll(
    expression: str,
    *,
    rng: random.Random,
    limits: Limits | None = None,
    advantage: Advantage = _NO_ADVANTAGE,
) -> RollResult:
    """Parse and roll `expression`; trailing text after a space becomes the comment."""
    if "[[" in expression:
        return roll_in(expression, Context(rng.randrange, limits or DEFAULT_LIMITS), advantage)
    if limits is None and advantage is _NO_ADVANTAGE:
        program = _default_program(expression)  # the hot path; parse() checks the length
        limits = DEFAULT_LIMITS
    else:
        program = compile_roll(expression, limits, advantage)
        limits = limits or DEFAULT_LIMITS
    direct = program.direct
    if direct is not None:
        return direct(rng.randrange)  # one die: it always fits the fresh budget
    return _run(program, Context(rng.randrange, limits))


def roll_in(expression: str, ctx: Context, advantage: Advantage = _NO_ADVANTAGE) -> RollResult:
    """Roll `expression` within `ctx`, whose dice budget other rolls may share.

    Inline rolls inside it (`3d6>[[1+3]]`) are rolled first, innermost first, and
    replaced by their totals, as Roll20 does; they spend the same budget.
    """
    if "[[" in expression:
        expression = _expand_inline(expression, ctx)
    program = compile_roll(expression, ctx.limits, advantage)
    ctx.terms = []  # the budget is shared, the terms are this roll's
    return _run(program, ctx)


def _run(program: Program, ctx: Context) -> RollResult:
    """Run a compiled roll in `ctx`, whose `terms` list must be empty (a fresh one)."""
    try:  # a safety net: nothing but DiceError leaks (try costs nothing on the hot path)
        tree = program.run(ctx)
    except DiceError:
        raise
    except CONTAINED as exc:
        raise translated(exc, "This roll") from None
    terms = ctx.terms
    if program.may_crit:
        crit, fumble = _crit_and_fumble(terms)
        return RollResult(program.notation, program.comment, tree.value, tree, crit, fumble, terms)
    return RollResult(program.notation, program.comment, tree.value, tree, False, False, terms)


def _expand_inline(text: str, ctx: Context) -> str:
    """Replace each `[[...]]` of `text` by its rolled total, innermost first."""
    limits = ctx.limits
    for _ in range(limits.max_inline):
        start = text.rfind("[[")  # the last opening holds no other: it is innermost
        if start == -1:
            return text
        end = inline_end(text, start + 2)
        if end is None:
            raise DiceSyntaxError("This inline roll is missing its closing ']]'", start + 1)
        try:
            program = compile_roll(text[start + 2 : end - 2], limits)
            ctx.terms = []
            total = _run(program, ctx).total
        except DiceError as exc:
            raise exc.at_offset(start + 2) from None
        text = text[:start] + _spliced(total, text[:start]) + text[end:]
    if "[[" in text:
        raise DiceLimitError(f"Too many inline rolls (limit {limits.max_inline} per roll)")
    return text


def _spliced(total: int | float, before: str) -> str:
    """Return a total as text to put in place of its inline roll."""
    text = format_number(total) if isinstance(total, int) else repr(total)
    if before.endswith(("<", ">", "=")) or (total >= 0 and isinstance(total, int)):
        return text  # a compare point takes a plain (signed) integer: `3d6>[[1+3]]`
    return f"({text})"  # so `[[1-5]]d6` is a count of -4, not minus 4d6


def _crit_and_fumble(terms: list[DiceTerm]) -> tuple[bool, bool]:
    crit = fumble = False
    for term in terms:
        if term.sides == 20 or term.tracks_crits:
            for die in term.dice:
                if die.kept:
                    crit = crit or die.crit
                    fumble = fumble or die.fumble
    return crit, fumble


def roll_many(
    expression: str,
    times: int,
    *,
    rng: random.Random,
    limits: Limits | None = None,
    advantage: Advantage = Advantage.NONE,
) -> list[RollResult]:
    """Roll one expression `times` times (e.g. six times `4d6kh3` for ability scores)."""
    maximum = (limits or DEFAULT_LIMITS).max_repeat
    if not 1 <= times <= maximum:
        raise DiceLimitError(f"A roll can be repeated 1 to {maximum} times, not {times}")
    return [roll(expression, rng=rng, limits=limits, advantage=advantage) for _ in range(times)]
