"""Crit rules kept as data, and their evaluation against a roll's dice.

A rule names the die sizes it applies to, which result it reads (the highest
kept die, the lowest, the total of the kept dice, or any kept die), a
comparison with a threshold, and what a match means (crit type, severity).
A campaign's effective rules are the built-in presets, each switched on or
off by the campaign's override row if it has one, plus its own rules. The
evaluation itself lives in `core_client.critrules`, so the bot can show a
roll's verdict by the same rules before Core has stored it.
"""

from __future__ import annotations

import itertools
import uuid
from collections.abc import Iterable, Sequence
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core_client.contract import DiceGroup, codec
from core_client.critrules import Comparison, Reads, Rule, Verdict, matches, verdict
from storage import bulk
from storage.models import CritRule

__all__ = [
    "Comparison",
    "Judged",
    "Reads",
    "Rule",
    "Verdict",
    "effective",
    "load",
    "matches",
    "verdict",
]


def _rule(row: Any) -> Rule:
    return Rule(
        key=row.preset_key or str(row.id),
        dice=tuple(sorted({int(d) for d in row.dice})),
        reads=Reads(row.reads),
        comparison=Comparison(row.comparison),
        threshold=row.threshold,
        crit_type=row.crit_type,
        severity=row.severity,
    )


def effective(rows: Iterable[Any], campaign_id: uuid.UUID | None) -> list[Rule]:
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


def _query(what: Any, campaign_ids: Iterable[uuid.UUID]) -> Any:
    return (
        select(*what)
        .where(or_(CritRule.campaign_id.is_(None), CritRule.campaign_id.in_(set(campaign_ids))))
        .order_by(CritRule.preset_key, CritRule.created_at, CritRule.id)
    )


async def load(session: AsyncSession, campaign_ids: Iterable[uuid.UUID]) -> list[CritRule]:
    """Load the presets and the rows of the given campaigns."""
    return list((await session.scalars(_query([CritRule], campaign_ids))).all())


async def in_force(
    session: AsyncSession, campaign_ids: Iterable[uuid.UUID]
) -> dict[uuid.UUID | None, list[Rule]]:
    """Return the rules in force for each campaign (and None), reading columns only.

    Ingest's path: the same rows as `load`, as plain rows on the session's
    connection (no ORM entities), read once per delivery.
    """
    wanted = set(campaign_ids)
    columns = [c for c in CritRule.__table__.c]
    result = await (await bulk.connection(session)).execute(_query(columns, wanted))
    rows = list(result)
    return {c: effective(rows, c) for c in [None, *wanted]}


class Judged:
    """Verdicts remembered across deliveries, by the rules in force and the dice as rolled.

    A verdict is a pure function of the two, and dice results repeat (a d20
    shows one of twenty faces), so nearly every roll of a busy table was
    judged before: a lookup is about a tenth of judging again. A set of rules
    is known by a number given once per delivery (hashing the rules for every
    roll would cost what is saved); numbers are never reused, so a stale one
    can only miss. Bounded: both tables are dropped whole when full.
    """

    def __init__(self, max_verdicts: int = 10_000, max_rulesets: int = 1_000) -> None:
        self._verdicts: dict[tuple[int, Sequence[DiceGroup]], Verdict] = {}
        self._rulesets: dict[tuple[Rule, ...], int] = {}
        self._numbers = itertools.count()
        self._max_verdicts = max_verdicts
        self._max_rulesets = max_rulesets

    def ruleset(self, rules: Sequence[Rule]) -> int:
        """Return the number of a set of rules (the same rules, the same number)."""
        key = tuple(rules)
        number = self._rulesets.get(key)
        if number is None:
            if len(self._rulesets) >= self._max_rulesets:
                self._rulesets.clear()
                self._verdicts.clear()
            number = self._rulesets[key] = next(self._numbers)
        return number

    def verdict(self, ruleset: int, rules: Sequence[Rule], groups: Sequence[DiceGroup]) -> Verdict:
        """Return the verdict of `rules` (numbered `ruleset`) on a roll's dice groups."""
        key = (ruleset, groups)
        found = self._verdicts.get(key)
        if found is None:
            if len(self._verdicts) >= self._max_verdicts:
                self._verdicts.clear()
            found = self._verdicts[key] = verdict(rules, codec.to_builtins(groups))
        return found
