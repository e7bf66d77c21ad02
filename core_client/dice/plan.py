"""What can be worked out about a dice term before rolling it: its plan.

The roller (`terms`), the exact statistics (`stats`) and the bounds (`bounds`) all
read a dice term through the same `TermPlan`, so they agree on what it means: which
keep/drop, rerolls, explosions, successes and clamps apply, and which faces they hit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar, cast

from .arithmetic import js_round
from .errors import DiceLimitError, DiceRuleError
from .faces import hits_all, missed_spans, never, predicate
from .limits import Limits
from .nodes import (
    ChainNode,
    Clamp,
    ComparePoint,
    CritMark,
    DiceNode,
    Explode,
    Expr,
    Failure,
    Keep,
    Match,
    Modifier,
    NumberNode,
    Reroll,
    Sort,
    Success,
    format_number,
    modifier_notation,
    notation,
)


@dataclass(slots=True, eq=False)  # not frozen: frozen __init__ is slow, and plans are many
class TermPlan:
    """Everything about a dice term that can be worked out before rolling (read-only)."""

    notation: str
    count_text: str
    sides_text: str
    mods_text: str  # modifiers and label, e.g. "kh1[fire]"
    label: str | None
    column: int
    keeps: tuple[Keep, ...]
    explode: Explode | None
    rerolls: tuple[ComparePoint, ...]
    reroll_once: bool
    successes: tuple[ComparePoint, ...]
    failures: tuple[ComparePoint, ...]
    crits: tuple[ComparePoint, ...]
    fumbles: tuple[ComparePoint, ...]
    floor: int | None
    ceiling: int | None
    sort: Sort | None
    match: Match | None

    @property
    def is_plain(self) -> bool:
        """Return whether only keep/drop is used, so the fast path applies."""
        return (
            not (self.explode or self.rerolls or self.successes or self.crits or self.fumbles)
            and (self.floor is None and self.ceiling is None and self.sort is None)
            and (self.match is None)
        )

    def rules(self, size: int | str) -> FaceRules:
        """Return the face tests of this term for dice of `size`."""
        low, high = face_range(size)
        explode = self.explode
        return FaceRules(
            size=size,
            low=low,
            span=high - low + 1,
            crit=predicate(self.crits) if self.crits else high.__eq__,
            fumble=predicate(self.fumbles) if self.fumbles else low.__eq__,
            reroll=predicate(self.rerolls) if self.rerolls else never,
            explode=never if explode is None else predicate(explode_points(explode, high)),
            success=predicate(self.successes) if self.successes else never,
            failure=predicate(self.failures) if self.failures else never,
        )


@dataclass(slots=True, eq=False)
class FaceRules:
    """A term's compare points turned into fast tests, for one die size."""

    size: int | str
    low: int
    span: int
    crit: Callable[[int], bool]
    fumble: Callable[[int], bool]
    reroll: Callable[[int], bool]
    explode: Callable[[int], bool]
    success: Callable[[int], bool]
    failure: Callable[[int], bool]


def plan_term(node: DiceNode) -> TermPlan:
    """Gather a dice node's modifiers into a plan (one pass: compiling long rolls is hot)."""
    found: dict[type, list[Modifier]] = {}
    for modifier in node.modifiers:
        found.setdefault(type(modifier), []).append(modifier)
    count_text = "1" if node.count is None else notation(node.count)
    sides_text = node.sides if isinstance(node.sides, str) else notation(node.sides)
    mods_text = "".join(map(modifier_notation, node.modifiers))
    mods_text += "" if node.label is None else f"[{node.label}]"
    rerolls = cast(list[Reroll], found.get(Reroll, []))
    clamps = {m.kind: m.value for m in cast(list[Clamp], found.get(Clamp, []))}
    marks = cast(list[CritMark], found.get(CritMark, []))
    return TermPlan(
        notation=f"{count_text}d{sides_text}{mods_text}",
        count_text=count_text,
        sides_text=sides_text,
        mods_text=mods_text,
        label=node.label,
        column=node.column,
        keeps=tuple(cast(list[Keep], found.get(Keep, []))),
        explode=_first(found, Explode),
        rerolls=tuple(m.point for m in rerolls),
        reroll_once=any(m.once for m in rerolls),
        successes=tuple(m.point for m in cast(list[Success], found.get(Success, []))),
        failures=tuple(m.point for m in cast(list[Failure], found.get(Failure, []))),
        crits=tuple(m.point for m in marks if m.kind == "cs"),
        fumbles=tuple(m.point for m in marks if m.kind == "cf"),
        floor=clamps.get("mi"),
        ceiling=clamps.get("ma"),
        sort=_first(found, Sort),
        match=_first(found, Match),
    )


T = TypeVar("T")


def _first(found: dict[type, list[Modifier]], kind: type[T]) -> T | None:
    modifiers = found.get(kind)
    return cast(T, modifiers[0]) if modifiers else None


def face_range(sides: int | str) -> tuple[int, int]:
    """Return the lowest and highest face of a die."""
    return (-1, 1) if sides == "F" else (1, int(sides))


def kept_positions(count: int, keeps: Sequence[Keep]) -> tuple[int, int]:
    """Return the slice [low, high) of the ascending-sorted dice that keep/drop leaves."""
    low, high = 0, count
    for keep in keeps:
        amount = min(keep.count, high - low)
        if keep.kind == "kh":
            low = high - amount
        elif keep.kind == "kl":
            high = low + amount
        elif keep.kind == "dh":
            high -= amount
        else:
            low += amount
    return low, high


def whole_number(value: int | float, what: str, column: int) -> int:
    """Return a computed count or size as Roll20 does: rounded half up, `(5/2)d6` is 3d6."""
    number = js_round(value)
    if number < 0:
        raise DiceRuleError(f"The {what} cannot be negative, got {format_number(value)}", column)
    return number


def check_sides(sides: int, limits: Limits, column: int) -> None:
    """Raise unless `sides` is a usable die size."""
    if sides < 1:
        raise DiceRuleError("A die needs at least one side", column)
    if sides > limits.max_sides:
        raise DiceLimitError(f"Dice are limited to {limits.max_sides} sides", column)


def check_triggers(plan: TermPlan, low: int, high: int, column: int) -> None:
    """Refuse rerolls or explosions that would trigger on every face and never stop."""
    if not (plan.rerolls or plan.explode):
        return
    everything = [(low, high)]
    survivors = everything
    if plan.rerolls and not plan.reroll_once:
        survivors = missed_spans(plan.rerolls, low, high)
        if not survivors:
            raise DiceRuleError("This reroll matches every face, so it would never stop", column)
    explode = plan.explode
    if explode is None or explode.once:
        return
    # Compounding draws again without rerolls, so every face must be considered.
    pool = everything if explode.kind == "!!" else survivors
    if hits_all(explode_points(explode, high), pool):
        raise DiceRuleError("This explosion matches every face, so it would never stop", column)


def explode_points(explode: Explode, high: int) -> tuple[ComparePoint, ...]:
    """Return the compare points of an explosion; the default is the highest face."""
    return (ComparePoint("=", high),) if explode.point is None else (explode.point,)


@dataclass(frozen=True, slots=True)
class PerDie:
    """A group's single sub-roll whose modifiers act on each die (Roll20's rule).

    `{4d6+3d8}kh1` keeps the best die; `{3d20+5}>21` adds the constant to each die
    before comparing, as Roll20's own examples do.
    """

    dice: tuple[DiceNode, ...]
    constant: int | float


def per_die_parts(node: Expr) -> PerDie | None:
    """Return the dice and net constant of dice terms and numbers added together, or None.

    Dice are joined by `+`; numbers may be added or subtracted. Dice that count
    successes themselves, and anything else (products, parentheses), make the
    sub-roll a single item instead.
    """
    operands: list[tuple[str, Expr]] = [("+", node)]
    if isinstance(node, ChainNode):
        operands = [("+", node.first), *((part.op, part.operand) for part in node.rest)]
    dice: list[DiceNode] = []
    constant: int | float = 0
    for op, operand in operands:
        if isinstance(operand, NumberNode) and op in "+-":
            constant += operand.value if op == "+" else -operand.value
        elif isinstance(operand, DiceNode) and op == "+":
            if any(isinstance(m, Success) for m in operand.modifiers):
                return None
            dice.append(operand)
        else:
            return None
    return PerDie(tuple(dice), constant) if dice else None
