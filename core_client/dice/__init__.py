"""FumbleBot's dice engine: Roll20 notation, pure Python, bounded work, injected randomness.

Usage: ``render_markdown(roll("2d20kh1+5 Attack", rng=BlockRandom()))``.
See docs/dice.md for the notation and every dialect decision.
"""

from __future__ import annotations

from .advantage import Advantage, apply_advantage
from .bounds import bounds
from .distribution import Distribution
from .entropy import BlockRandom
from .errors import (
    DiceError,
    DiceLimitError,
    DiceMathError,
    DiceRuleError,
    DiceSyntaxError,
    IntractableError,
)
from .inline import InlineResult, InlineRoll, find_inline_rolls, replace_inline_rolls, roll_inline
from .limits import DEFAULT_LIMITS, Limits
from .parse import parse
from .program import roll, roll_many
from .render import render_markdown
from .results import (
    Call,
    Chain,
    Constant,
    DiceTerm,
    Die,
    Group,
    GroupItem,
    Paren,
    Power,
    ResultNode,
    RollResult,
    Unary,
)
from .stats import distribution

__all__ = [
    "DEFAULT_LIMITS",
    "Advantage",
    "BlockRandom",
    "Call",
    "Chain",
    "Constant",
    "DiceError",
    "DiceLimitError",
    "DiceMathError",
    "DiceRuleError",
    "DiceSyntaxError",
    "DiceTerm",
    "Die",
    "Distribution",
    "Group",
    "GroupItem",
    "InlineResult",
    "InlineRoll",
    "IntractableError",
    "Limits",
    "Paren",
    "Power",
    "ResultNode",
    "RollResult",
    "Unary",
    "apply_advantage",
    "bounds",
    "distribution",
    "find_inline_rolls",
    "parse",
    "render_markdown",
    "replace_inline_rolls",
    "roll",
    "roll_inline",
    "roll_many",
]
