"""Crits and fumbles on overlay cards, by the campaign's crit rules.

A VTT's roll arrives with its own verdict (`crit`, `fumble`); a campaign may
also have rules of its own (a crit on 19-20, say) that only Core knows. The
bridge asks Core for the rules in force through the function it was given
(`CoreClient.rules_in_force` under `fumblebot run`), keeps them for `ttl`
seconds, and bounds each ask so a slow Core never stalls a feed: without
rules, a card keeps the roll's own verdict.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any

from core_client.critrules import Rule, verdict

log = logging.getLogger(__name__)

RulesFetch = Callable[[str], Awaitable[list[Rule]]]
TTL = 60.0
ASK_TIMEOUT = 2.0
MAX_CAMPAIGNS = 1000


class CritRuleCache:
    """The crit rules in force per campaign, fetched from Core and kept briefly."""

    def __init__(
        self, fetch: RulesFetch | None, *, ttl: float = TTL, timeout: float = ASK_TIMEOUT
    ) -> None:
        self._fetch = fetch
        self._ttl = ttl
        self._timeout = timeout
        self._cache: dict[str, tuple[float, list[Rule] | None]] = {}

    async def rules(self, campaign_id: str) -> list[Rule] | None:
        """Return a campaign's rules, or None when they cannot be had now."""
        if self._fetch is None:
            return None
        cached = self._cache.get(campaign_id)
        now = time.monotonic()
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        found: list[Rule] | None
        try:
            async with asyncio.timeout(self._timeout):
                found = await self._fetch(campaign_id)
        except Exception as exc:  # any failure of Core: keep the roll's own verdict
            log.warning("crit rules of campaign %s unavailable: %s", campaign_id, exc)
            found = None
        if len(self._cache) >= MAX_CAMPAIGNS:
            self._cache.clear()
        self._cache[campaign_id] = (now, found)
        return found


def judge(roll: Mapping[str, Any], rules: Sequence[Rule] | None) -> tuple[bool, bool]:
    """Return (crit, fumble): the roll's own verdict, or the campaign's rules' on its dice."""
    crit, fumble = bool(roll.get("crit")), bool(roll.get("fumble"))
    if rules:
        ruled_crit, ruled_fumble, _ = verdict(rules, _groups(roll))
        crit, fumble = crit or ruled_crit, fumble or ruled_fumble
    return crit, fumble


def _groups(roll: Mapping[str, Any]) -> list[dict[str, Any]]:
    # In process the groups are tuples, through Redis lists; a die without
    # "kept" was kept (a record's defaults may be left out on the wire).
    groups = roll.get("groups")
    return [
        {
            "sides": g.get("sides"),
            "dice": [{"value": d.get("value"), "kept": d.get("kept", True)} for d in g["dice"]],
        }
        for g in (groups if isinstance(groups, list | tuple) else ())
        if isinstance(g, Mapping) and isinstance(g.get("dice"), list | tuple)
    ]
