"""Errors raised by the dice engine: one base class, a few precise subclasses.

Every problem with a player's input surfaces as a `DiceError`; nothing else
(no `ValueError`, `RecursionError`, `ZeroDivisionError`...) may escape the engine.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager


class DiceError(Exception):
    """Base class of every error caused by a dice expression."""

    def __init__(self, message: str, column: int | None = None) -> None:
        self.message = message
        self.column = column
        super().__init__(message if column is None else f"{message} (column {column})")

    def at_offset(self, offset: int) -> DiceError:
        """Return a copy whose column is shifted by `offset` (for embedded expressions)."""
        column = None if self.column is None else self.column + offset
        return type(self)(self.message, column)


class DiceSyntaxError(DiceError):
    """The expression is not valid dice notation."""


class DiceLimitError(DiceError):
    """The expression is valid but exceeds a safety limit."""


class DiceRuleError(DiceError):
    """The notation is valid but asks for something impossible, e.g. a d0 or endless explosions."""


class DiceMathError(DiceError):
    """Arithmetic failed, e.g. a division by zero."""


class IntractableError(DiceError):
    """The exact distribution of the expression is too costly or not supported."""


# What a safety net catches: Python's own errors that a bug could let through.
CONTAINED = (RecursionError, ArithmeticError, ValueError)


def translated(exc: BaseException, what: str) -> DiceError:
    """Return the `DiceError` standing for one of Python's errors (see `CONTAINED`).

    `what` completes "… cannot be computed", e.g. "This roll".
    """
    if isinstance(exc, RecursionError):
        return DiceLimitError("The expression is nested too deeply")
    return DiceMathError(f"{what} cannot be computed ({exc})")


@contextmanager
def contained(what: str) -> Iterator[None]:
    """Turn Python's errors inside into a `DiceError`: the safety net of an entry point."""
    try:
        yield
    except DiceError:
        raise
    except CONTAINED as exc:
        raise translated(exc, what) from None
