"""Result tree of an evaluated roll: every die kept, dropped or rerolled is recorded.

The classes are plain slotted dataclasses (not frozen) because building them is the
hot path of every roll; treat them as read-only once `roll()` returns.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TypeAlias


@dataclass(slots=True, eq=False)
class Die:
    """One physical die. `natural` is the face rolled; `value` is what counts after `mi`/`ma`
    clamps, compounding (`!!`) and penetration (`!p`)."""

    sides: int | str
    value: int
    natural: int
    kept: bool = True
    crit: bool = False
    fumble: bool = False
    exploded: bool = False
    rerolled: bool = False
    extra: bool = False  # added by an explosion
    success: bool = False
    failure: bool = False
    matched: bool = False  # its value is shown by enough dice to form a match (`m`, `mt`)


@dataclass(slots=True, eq=False)
class DiceTerm:
    """One dice term such as `2d20kh1` with all its dice, in the order they were rolled."""

    notation: str
    count: int
    sides: int | str
    label: str | None
    dice: list[Die]
    value: int
    counts_successes: bool = False  # subtotal is successes minus failures (or `mt` sets)
    tracks_crits: bool = False  # has explicit cs/cf thresholds
    computed: Computed | None = None  # set when the count or sides were rolled/computed

    @property
    def subtotal(self) -> int:
        """Return the term's contribution: the kept dice, or the success count."""
        return self.value


@dataclass(frozen=True, slots=True)
class Computed:
    """The sub-results behind a computed count or size, as in `(1d4)d6` or `2d(3*2)`."""

    count: ResultNode | None
    sides: ResultNode | None
    count_text: str
    sides_text: str
    mods_text: str


@dataclass(frozen=True, slots=True)
class Constant:
    """A number written in the expression."""

    value: int | float
    label: str | None = None


@dataclass(slots=True, eq=False)
class GroupItem:
    """One comma-separated sub-roll of a group and whether it was kept."""

    node: ResultNode
    value: int | float
    kept: bool = True
    success: bool = False
    failure: bool = False


@dataclass(slots=True, eq=False)
class Group:
    """A group `{...}`; `per_die` groups apply their modifiers to individual dice."""

    items: list[GroupItem]
    modifiers: str
    value: int | float
    per_die: bool
    counts_successes: bool
    label: str | None = None


@dataclass(slots=True, eq=False)
class Chain:
    """A left-to-right chain of operators of one precedence level."""

    first: ResultNode
    rest: list[tuple[str, ResultNode]]
    value: int | float


@dataclass(slots=True, eq=False)
class Power:
    """`base ** exponent`."""

    base: ResultNode
    exponent: ResultNode
    value: int | float


@dataclass(slots=True, eq=False)
class Unary:
    """A signed sub-result, `-x` or `+x`."""

    op: str
    operand: ResultNode
    value: int | float


@dataclass(slots=True, eq=False)
class Call:
    """`floor`, `ceil`, `round` or `abs` applied to a sub-result."""

    name: str
    arg: ResultNode
    value: int | float
    label: str | None = None


@dataclass(slots=True, eq=False)
class Paren:
    """A parenthesised sub-result."""

    inner: ResultNode
    value: int | float
    label: str | None = None


ResultNode: TypeAlias = Constant | DiceTerm | Group | Chain | Power | Unary | Call | Paren
RESULT_TYPES = (Constant, DiceTerm, Group, Chain, Power, Unary, Call, Paren)


@dataclass(slots=True, eq=False)
class RollResult:
    """The outcome of one roll: normalised notation, comment, total and full tree."""

    expression: str
    comment: str | None
    total: int | float
    tree: ResultNode
    crit: bool
    fumble: bool
    dice_terms: list[DiceTerm] = field(repr=False)

    def terms(self) -> list[DiceTerm]:
        """Return every dice term in evaluation order, flattened."""
        return list(self.dice_terms)

    def dice_rolled(self) -> int:
        """Return how many dice were drawn, rerolls and explosions included."""
        return sum(len(term.dice) for term in self.dice_terms)
