"""The mutable state of one roll, and the shape of a compiled roll step."""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeAlias

from .limits import Limits
from .results import DiceTerm, ResultNode


class Context:
    """The mutable state of one roll: the random source, the dice budget, the terms."""

    __slots__ = ("budget", "limits", "randrange", "terms")

    def __init__(self, randrange: Callable[[int], int], limits: Limits) -> None:
        self.randrange = randrange
        self.limits = limits
        self.budget = limits.max_dice
        self.terms: list[DiceTerm] = []


Evaluator: TypeAlias = Callable[[Context], ResultNode]
