"""Character scanner for dice notation: the parser reads tokens through it.

Dice notation is context sensitive (`d` is a die after a number but "drop" after a
die, `f` is a Fate die after `d` but "failures" after a die), so instead of one
global token stream the parser asks the scanner for the token it expects next.
"""

from __future__ import annotations

import re

from .errors import DiceSyntaxError

NUMBER = re.compile(r"\d+(?:\.\d+)?|\.\d+")
INTEGER = re.compile(r"\d+")
WORD = re.compile(r"[a-z_]+", re.IGNORECASE)
# Longest spellings first so `!!` is not read as two `!`, `min` not as `mi` + `n`...
MODIFIER = re.compile(
    r"!!|!p|!|xo|x|e|kh|kl|k|dh|dl|d|ph|pl|ro|rr|r|cs|cf|min|max|mi|ma|mt|m|sa|sd|s|f"
    r"|>=|<=|>|<|=",
    re.IGNORECASE,
)
COMPARE = re.compile(r"(>=|<=|=|>|<)?")
SIGNED = re.compile(r"-?\d+")
LABEL = re.compile(r"\[([^\[\]]*)\]")


class Scanner:
    """A cursor over the expression text with helpers that raise located errors."""

    __slots__ = ("pos", "text")

    def __init__(self, text: str) -> None:
        self.text = text
        self.pos = 0

    @property
    def column(self) -> int:
        """Return the 1-based column of the cursor."""
        return self.pos + 1

    def at_end(self) -> bool:
        """Return whether the whole text has been consumed."""
        return self.pos >= len(self.text)

    def peek(self, length: int = 1) -> str:
        """Return the next `length` characters without consuming them."""
        return self.text[self.pos : self.pos + length]

    def skip_space(self) -> bool:
        """Skip whitespace; return whether any was skipped."""
        start = self.pos
        text = self.text
        while self.pos < len(text) and text[self.pos].isspace():
            self.pos += 1
        return self.pos > start

    def accept(self, literal: str) -> bool:
        """Consume `literal` if it comes next."""
        if self.text.startswith(literal, self.pos):
            self.pos += len(literal)
            return True
        return False

    def match(self, pattern: re.Pattern[str]) -> re.Match[str] | None:
        """Consume and return a match of `pattern` at the cursor, if any."""
        found = pattern.match(self.text, self.pos)
        if found is not None:
            self.pos = found.end()
        return found

    def expect(self, literal: str, what: str) -> None:
        """Consume `literal` or raise a syntax error naming `what` was expected."""
        if not self.accept(literal):
            raise self.error(f"Expected {what}")

    def describe_next(self) -> str:
        """Return a short quote of the next character for messages."""
        return "the end" if self.at_end() else repr(self.text[self.pos])

    def error(self, message: str, column: int | None = None) -> DiceSyntaxError:
        """Build a syntax error at the cursor, mentioning what was found there."""
        where = self.column if column is None else column
        return DiceSyntaxError(f"{message}, found {self.describe_next()}", where)


def inline_end(text: str, pos: int) -> int | None:
    """Return the index just past the `]]` closing an inline roll whose body starts at `pos`.

    Brackets are matched by depth, so labels (`[[2d6[fire]]]`) and nested inline
    rolls (`[[3d6>[[1+3]]]]`) stay inside the body.
    """
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
