"""Which campaign a Discord channel belongs to, and who is its GM.

Core is the source of truth; the bot keeps a short-lived cache so that every
message in a busy channel does not cost a query. Writes through the bot
(`/campaign bind`, `/campaign unbind`) drop the cached entry at once.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass
from typing import Any, TypeVar

from core_client import CoreClient
from core_client.contract.answers import CampaignDict, CharacterDict, GameLinkDict
from core_client.critrules import Rule

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_TTL = 60.0
MAX_ENTRIES = 10_000  # channels remembered at once; a big bot sees many


@dataclass(frozen=True, slots=True)
class ChannelBinding:
    """A channel's campaign and the game link that binds them."""

    campaign: CampaignDict
    link: GameLinkDict

    @property
    def campaign_id(self) -> str:
        """Return the campaign's id."""
        return self.campaign["id"]

    @property
    def game_id(self) -> str:
        """Return the VTT game id, or the link's id when no VTT game is set."""
        return self.link["vtt_game_id"] or self.link["id"]


def gm_discord_id(campaign: CampaignDict) -> str | None:
    """Return the Discord id of the campaign's GM, if recorded."""
    value = campaign["settings"].get("gm_discord_id")
    return str(value) if value else None


def is_gm(
    campaign: CampaignDict, user_id: int, role_ids: Iterable[int], manage_guild: bool
) -> bool:
    """Return whether a member may act as GM: Manage Server, the GM, or the GM role."""
    if manage_guild or gm_discord_id(campaign) == str(user_id):
        return True
    role = campaign["settings"].get("gm_role_id")
    return role is not None and str(role) in {str(r) for r in role_ids}


def active_character(campaign: CampaignDict, user_id: int) -> str | None:
    """Return the id of the character a user plays in a campaign, if chosen."""
    chosen = campaign["settings"].get("active_characters", {})
    value = chosen.get(str(user_id)) if isinstance(chosen, dict) else None
    return str(value) if value else None


class ChannelDirectory:
    """Cache channel -> binding lookups against Core for a short while."""

    def __init__(
        self,
        core: CoreClient,
        *,
        ttl: float = DEFAULT_TTL,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._core = core
        self._ttl = ttl
        self._clock = clock
        self._cache: dict[int, tuple[float, ChannelBinding | None]] = {}
        self._rules: dict[str, tuple[float, list[Rule]]] = {}
        self._characters: dict[str, tuple[float, CharacterDict]] = {}
        self._pending: dict[int, asyncio.Future[ChannelBinding | None]] = {}

    async def binding(self, channel_id: int) -> ChannelBinding | None:
        """Return the channel's binding, or None if it is bound to no campaign."""
        cached = self._cache.get(channel_id)
        now = self._clock()
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        # One lookup per channel at a time: a busy channel whose entry just
        # expired must not send Core a query per message.
        pending = self._pending.get(channel_id)
        if pending is None:
            pending = asyncio.ensure_future(self._lookup(channel_id))
            self._pending[channel_id] = pending
            pending.add_done_callback(lambda _: self._pending.pop(channel_id, None))
        found = await asyncio.shield(pending)
        self._remember(self._cache, channel_id, (now, found))
        return found

    def _remember(self, cache: dict[Any, tuple[float, Any]], key: Any, value: Any) -> None:
        """Store a cache entry, pruning expired and then oldest entries past the bound."""
        cache[key] = value
        if len(cache) <= MAX_ENTRIES:
            return
        now = self._clock()
        for old in [k for k, (at, _) in cache.items() if now - at >= self._ttl]:
            del cache[old]
        while len(cache) > MAX_ENTRIES:
            del cache[next(iter(cache))]  # dicts keep insertion order: oldest first

    async def _cached(
        self, cache: dict[str, tuple[float, T]], key: str, fetch: Callable[[str], Awaitable[T]]
    ) -> T:
        """Return a cache entry younger than the TTL, else fetch and remember it."""
        cached = cache.get(key)
        now = self._clock()
        if cached is not None and now - cached[0] < self._ttl:
            return cached[1]
        value = await fetch(key)
        self._remember(cache, key, (now, value))
        return value

    async def crit_rules(self, campaign_id: str) -> list[Rule]:
        """Return the crit rules in force for a campaign, cached briefly."""
        return await self._cached(self._rules, campaign_id, self._core.rules_in_force)

    async def character(self, character_id: str) -> CharacterDict:
        """Return a character, cached briefly: every roll of its player needs its name."""
        return await self._cached(self._characters, character_id, self._core.get_character)

    def clear(self) -> None:
        """Drop every cached lookup, as the TTL would."""
        self._cache.clear()
        self._rules.clear()
        self._characters.clear()

    def forget(self, channel_id: int) -> None:
        """Drop a cached lookup after the bot changed the binding."""
        self._cache.pop(channel_id, None)

    async def _lookup(self, channel_id: int) -> ChannelBinding | None:
        links = await self._core.game_links(discord_channel_id=str(channel_id))
        live = [link for link in links if link["archived_at"] is None]
        if not live:
            return None
        link = live[0]
        campaign = await self._core.get_campaign(link["campaign_id"])
        if campaign["archived_at"] is not None:
            return None
        return ChannelBinding(campaign, link)


def campaign_settings(campaign: CampaignDict, **changes: Any) -> dict[str, Any]:
    """Return the campaign's settings with top-level changes applied."""
    return {**campaign["settings"], **changes}
