"""Crit rules kept as data, and their evaluation against a roll's dice.

A rule names the die sizes it applies to, which result it reads (the highest
kept die, the lowest, the total of the kept dice, or any kept die), a
comparison with a threshold, and what a match means (crit type, severity).
A campaign's effective rules are the built-in presets, each switched on or
off by the campaign's override row if it has one, plus its own rules.
"""

from __future__ import annotations

import enum
import uuid
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import CritRule


class Reads(enum.StrEnum):
    """Which result a rule reads."""

    HIGHEST = "highest"
    LOWEST = "lowest"
    TOTAL = "total"
    ANY = "any"


class Comparison(enum.StrEnum):
    """How a rule compares the result it read."""

    EQ = "eq"
    GE = "ge"
    LE = "le"
    MAX = "max"  # the die shows its largest face; the threshold is ignored
    MIN = "min"  # the die shows 1


@dataclass(frozen=True, slots=True)
class Rule:
    """An effective rule, ready to evaluate."""

    key: str
    dice: frozenset[int]
    reads: Reads
    comparison: Comparison
    threshold: int
    crit_type: str
    severity: int


def _rule(row: CritRule) -> Rule:
    return Rule(
        key=row.preset_key or str(row.id),
        dice=frozenset(int(d) for d in row.dice),
        reads=Reads(row.reads),
        comparison=Comparison(row.comparison),
        threshold=row.threshold,
        crit_type=row.crit_type,
        severity=row.severity,
    )


def effective(rows: Iterable[CritRule], campaign_id: uuid.UUID | None) -> list[Rule]:
    """Return the rules in force for a campaign (None: the presets' defaults)."""
    presets = {r.preset_key: r for r in rows if r.campaign_id is None and r.preset_key}
    own = [r for r in rows if campaign_id is not None and r.campaign_id == campaign_id]
    overrides = {r.preset_key: r.enabled for r in own if r.preset_key in presets}
    rules = [
        _rule(p)
        for key, p in presets.items()
        if overrides.get(key, p.enabled) and not p.archived_at
    ]
    custom = [r for r in own if r.preset_key not in presets and r.enabled and not r.archived_at]
    return rules + [_rule(r) for r in custom]


async def load(session: AsyncSession, campaign_ids: Iterable[uuid.UUID]) -> list[CritRule]:
    """Load the presets and the rows of the given campaigns."""
    query = (
        select(CritRule)
        .where(or_(CritRule.campaign_id.is_(None), CritRule.campaign_id.in_(set(campaign_ids))))
        .order_by(CritRule.preset_key, CritRule.created_at, CritRule.id)
    )
    return list((await session.scalars(query)).all())


def _compare(rule: Rule, value: float, sides: int) -> bool:
    match rule.comparison:
        case Comparison.EQ:
            return value == rule.threshold
        case Comparison.GE:
            return value >= rule.threshold
        case Comparison.LE:
            return value <= rule.threshold
        case Comparison.MAX:
            return value == sides
        case Comparison.MIN:
            return value == 1


def _kept(rule: Rule, groups: Sequence[Any]) -> list[tuple[int, int]]:
    dice = []
    for group in groups:
        sides = group.get("sides")
        if isinstance(sides, int) and sides in rule.dice:
            dice += [(int(d["value"]), sides) for d in group.get("dice", []) if d.get("kept")]
    return dice


def matches(rule: Rule, groups: Sequence[Any]) -> bool:
    """Return whether a roll's dice groups meet a rule."""
    dice = _kept(rule, groups)
    if not dice:
        return False
    match rule.reads:
        case Reads.HIGHEST:
            return _compare(rule, *max(dice))
        case Reads.LOWEST:
            return _compare(rule, *min(dice))
        case Reads.TOTAL:
            return _compare(rule, sum(v for v, _ in dice), max(s for _, s in dice))
        case Reads.ANY:
            return any(_compare(rule, v, s) for v, s in dice)


def verdict(rules: Sequence[Rule], groups: Sequence[Any]) -> tuple[bool, bool, str | None]:
    """Return (crit, fumble, crit type of the most severe match) for a roll."""
    hits = sorted((r for r in rules if matches(r, groups)), key=lambda r: -r.severity)
    crit = any(r.crit_type == "crit" for r in hits)
    fumble = any(r.crit_type == "fumble" for r in hits)
    return crit, fumble, hits[0].crit_type if hits else None
