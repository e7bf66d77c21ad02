"""Crit rules, evaluated against a roll's dice groups; shared by Core and the bot.

A rule names the die sizes it applies to, which result it reads (the highest
kept die, the lowest, the total of the kept dice, or any kept die), a
comparison with a threshold, and what a match means (crit type, severity).
Core stores rules as data and hands the ones in force to clients as JSON,
as the contract's `Rule` (core_client/contract/rules.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from core_client.contract.enums import Comparison, Reads
from core_client.contract.rules import Rule

__all__ = ["Comparison", "Reads", "Rule", "Verdict", "matches", "verdict"]

# (crit, fumble, crit type of the most severe match)
Verdict = tuple[bool, bool, str | None]


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


def verdict(rules: Sequence[Rule], groups: Sequence[Any]) -> Verdict:
    """Return (crit, fumble, crit type of the most severe match) for a roll."""
    hits = sorted((r for r in rules if matches(r, groups)), key=lambda r: -r.severity)
    crit = any(r.crit_type == "crit" for r in hits)
    fumble = any(r.crit_type == "fumble" for r in hits)
    return crit, fumble, hits[0].crit_type if hits else None
