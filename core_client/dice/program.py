"""The public entry points: roll an expression once or several times.

Parsed and compiled expressions are cached by text (an LRU), so rolling the same
`1d20+5` again only draws dice and builds the result tree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from functools import lru_cache

from .advantage import Advantage, apply_advantage
from .context import Context, Evaluator
from .errors import DiceError, DiceLimitError, DiceMathError
from .evaluate import compile_expr
from .limits import DEFAULT_LIMITS, Limits
from .nodes import CritMark, DiceNode, Expr, NumberNode, notation, walk
from .parse import Parsed, parse
from .results import DiceTerm, RollResult

_CACHE_SIZE = 1024


@dataclass(frozen=True, slots=True)
class Program:
    """A compiled roll: the function that rolls it, its notation and its comment."""

    run: Evaluator
    notation: str
    comment: str | None
    may_crit: bool  # has a d20, a computed die size or cs/cf, so crits must be looked for


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
        return Program(compile_expr(tree), notation(tree), parsed.comment, _may_crit(tree))
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
    if limits is None and advantage is _NO_ADVANTAGE:
        program = _default_program(expression)  # the hot path; parse() checks the length
        limits = DEFAULT_LIMITS
    else:
        program = compile_roll(expression, limits, advantage)
        limits = limits or DEFAULT_LIMITS
    ctx = Context(rng.randrange, limits)
    try:
        tree = program.run(ctx)
    except DiceError:
        raise
    except RecursionError:
        raise DiceLimitError("The expression is nested too deeply") from None
    except (ArithmeticError, ValueError) as exc:  # a safety net: nothing but DiceError leaks
        raise DiceMathError(f"This roll cannot be computed ({exc})") from None
    terms = ctx.terms
    if program.may_crit:
        crit, fumble = _crit_and_fumble(terms)
        return RollResult(program.notation, program.comment, tree.value, tree, crit, fumble, terms)
    return RollResult(program.notation, program.comment, tree.value, tree, False, False, terms)


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
