"""Safety limits that bound the work any dice expression can cause."""

from __future__ import annotations

from dataclasses import dataclass, field

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

    max_input_length: int = 1000
    max_depth: int = 50
    max_dice: int = 1000
    max_sides: int = 10_000
    max_repeat: int = 20
    max_digits: int = 100
    max_inline: int = 20
    max_stats_work: int = 40_000  # about 7 ms of CPU on the dev box: see distribution.py
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
