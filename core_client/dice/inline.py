"""Inline rolls: find and roll every `[[...]]` inside a sentence.

"I swing [[1d20+5]] and hit for [[1d8+3]]" holds two rolls. Labels inside an
inline roll (`[[2d6[fire]]]`) are allowed, so brackets are matched by depth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .context import Context
from .errors import DiceError, DiceLimitError, DiceSyntaxError
from .lexer import inline_end
from .limits import DEFAULT_LIMITS, Limits
from .nodes import format_number
from .program import roll_in
from .results import RollResult


@dataclass(frozen=True, slots=True)
class InlineRoll:
    """One `[[expression]]` found in a text; `start`/`end` delimit it, brackets included."""

    start: int
    end: int
    expression: str


@dataclass(frozen=True, slots=True)
class InlineResult:
    """An inline roll and its result."""

    span: InlineRoll
    result: RollResult


def find_inline_rolls(text: str, *, limits: Limits | None = None) -> list[InlineRoll]:
    """Return every `[[...]]` span of `text`, in order."""
    limits = limits or DEFAULT_LIMITS
    found: list[InlineRoll] = []
    start = text.find("[[")
    while start != -1:
        end = inline_end(text, start + 2)
        if end is None:
            raise DiceSyntaxError("This inline roll is missing its closing ']]'", start + 1)
        found.append(InlineRoll(start, end, text[start + 2 : end - 2]))
        if len(found) > limits.max_inline:
            raise DiceLimitError(
                f"Too many inline rolls (limit {limits.max_inline} per message)", start + 1
            )
        start = text.find("[[", end)
    return found


def roll_inline(
    text: str, *, rng: random.Random, limits: Limits | None = None
) -> list[InlineResult]:
    """Roll every inline roll of `text`; error columns refer to positions in `text`.

    The rolls of one message share one dice budget (`Limits.max_dice`), so a message
    of many inline rolls costs no more than one roll.
    """
    spans = find_inline_rolls(text, limits=limits)
    ctx = Context(rng.randrange, limits or DEFAULT_LIMITS)
    results = []
    for span in spans:
        try:
            result = roll_in(span.expression, ctx)
        except DiceError as exc:
            raise exc.at_offset(span.start + 2) from None
        results.append(InlineResult(span, result))
    return results


def replace_inline_rolls(text: str, rolled: list[InlineResult]) -> str:
    """Return `text` with each inline roll replaced by its total in bold."""
    pieces = []
    position = 0
    for item in rolled:
        pieces.append(text[position : item.span.start])
        pieces.append(f"**{format_number(item.result.total)}**")
        position = item.span.end
    pieces.append(text[position:])
    return "".join(pieces)
