"""Safety limits that bound the work any dice expression can cause."""

from __future__ import annotations

from dataclasses import dataclass, field

from core_client.settings import setting

# Hard ceilings that keep recursion and float conversion safe whatever is configured.
HARD_MAX_DEPTH = 100
HARD_MAX_DIGITS = 300

_SETTINGS = (
    "max_input_length",
    "max_depth",
    "max_dice",
    "max_sides",
    "max_repeat",
    "max_digits",
    "max_inline",
    "max_stats_work",
)


@dataclass(frozen=True)
class Limits:
    """Configurable bounds on input size and on the work of one roll."""

    max_input_length: int = setting(1000, "longest roll expression", min=1, max=100_000)
    max_depth: int = setting(
        50, "deepest nesting of parentheses and groups", min=1, max=HARD_MAX_DEPTH
    )
    max_dice: int = setting(1000, "dice per roll, rerolls and explosions included", min=1)
    max_sides: int = setting(10_000, "largest die", min=2, max=10**9)
    max_repeat: int = setting(20, "most repeats of one expression", min=1, max=100)
    max_digits: int = setting(100, "most digits of any number", min=1, max=HARD_MAX_DIGITS)
    max_inline: int = setting(20, "most [[inline rolls]] in one message", min=1)
    # About 7 ms of CPU on the dev box: see distribution.py.
    max_stats_work: int = setting(40_000, "work allowed for exact odds (`stats`)", min=1)
    value_bound: int = field(init=False, repr=False, compare=False)
    _hash: int = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        values = tuple(getattr(self, name) for name in _SETTINGS)
        for name, value in zip(_SETTINGS, values, strict=True):
            if value < 1:
                raise ValueError(f"Limits.{name} must be at least 1")
        if self.max_depth > HARD_MAX_DEPTH:
            raise ValueError(f"Limits.max_depth cannot exceed {HARD_MAX_DEPTH}")
        if self.max_digits > HARD_MAX_DIGITS:
            raise ValueError(f"Limits.max_digits cannot exceed {HARD_MAX_DIGITS}")
        # Computed once: every arithmetic result is compared against it.
        object.__setattr__(self, "value_bound", 10**self.max_digits)
        object.__setattr__(self, "_hash", hash(values))

    def __hash__(self) -> int:
        # Cached because compiled expressions are looked up by (text, limits) on every roll.
        return self._hash


DEFAULT_LIMITS = Limits()
