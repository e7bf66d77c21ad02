"""Inline rolls: find and roll every `[[...]]` inside a sentence.

"I swing [[1d20+5]] and hit for [[1d8+3]]" holds two rolls. Labels inside an
inline roll (`[[2d6[fire]]]`) are allowed, so brackets are matched by depth.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

from .errors import DiceError, DiceLimitError, DiceSyntaxError
from .limits import DEFAULT_LIMITS, Limits
from .nodes import format_number
from .program import roll
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
        end = _closing(text, start + 2)
        if end is None:
            raise DiceSyntaxError("This inline roll is missing its closing ']]'", start + 1)
        found.append(InlineRoll(start, end, text[start + 2 : end - 2]))
        if len(found) > limits.max_inline:
            raise DiceLimitError(
                f"Too many inline rolls (limit {limits.max_inline} per message)", start + 1
            )
        start = text.find("[[", end)
    return found


def _closing(text: str, pos: int) -> int | None:
    """Return the index just past the `]]` closing an inline roll whose body starts at `pos`."""
    depth = 0
    while pos < len(text):
        char = text[pos]
        if char == "[":
            depth += 1
        elif char == "]":
            if depth == 0:
                return pos + 2 if text.startswith("]]", pos) else None
            depth -= 1
        pos += 1
    return None


def roll_inline(
    text: str, *, rng: random.Random, limits: Limits | None = None
) -> list[InlineResult]:
    """Roll every inline roll of `text`; error columns refer to positions in `text`."""
    results = []
    for span in find_inline_rolls(text, limits=limits):
        try:
            result = roll(span.expression, rng=rng, limits=limits)
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
