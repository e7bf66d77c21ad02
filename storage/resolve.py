"""Resolve the free-form keys reports carry to rows, a whole batch at a time.

A roll names its campaign by a key such as "guild:123", a campaign's UUID,
or its external key; a VTT roll may be known only by its game id. Lookups
are batched (one query per kind per delivery), kept across deliveries while
nothing they read has changed (`storage.memo`: one one-row read per
transaction instead of a query per kind), so resolving costs the same for
one event as for five hundred, and run on the session's connection rather
than through the ORM, which only added cost to queries that load no entity.
Nothing here refuses anything: an unknown key resolves to None.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import bulk, critrules
from storage.memo import Memo
from storage.models import Campaign, Character, GameLink, GameSession, User, VttAccount

log = logging.getLogger(__name__)

GUILD_PREFIX = "guild:"


def parse_uuid(text: str) -> uuid.UUID | None:
    """Return `text` as a UUID, or None."""
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


def _sole(game_id: str, campaigns: set[uuid.UUID]) -> uuid.UUID | None:
    if len(campaigns) > 1:
        count = len(campaigns)
        log.warning("game %r is linked to %d campaigns: its rolls stay unlinked", game_id, count)
    return next(iter(campaigns)) if len(campaigns) == 1 else None


class Resolver:
    """Batched, cached key lookups for one transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.memo = Memo(session)
        self._campaigns: dict[str, uuid.UUID | None] = {}
        self._games: dict[str, uuid.UUID | None] = {}

    async def _run(self, query: Any) -> Any:
        """Run a lookup on the session's connection, past the ORM (no entity is loaded).

        Objects the session holds unflushed (a campaign created earlier in
        the same delivery) are flushed first, as the ORM's autoflush would.
        """
        session = self.session
        if session.new or session.dirty or session.deleted:
            await session.flush()
        return await (await bulk.connection(session)).execute(query)

    async def campaigns(self, keys: Iterable[str]) -> dict[str, uuid.UUID | None]:
        """Map campaign keys to campaign ids (None when unknown)."""
        wanted = set(keys)
        missing = wanted - self._campaigns.keys()
        if missing:
            self._campaigns.update(await self.memo.lookup("campaign", missing, self._campaign_ids))
        return {k: self._campaigns[k] for k in wanted}

    async def _campaign_ids(self, keys: set[str]) -> dict[str, uuid.UUID | None]:
        ids = {k: u for k in keys if (u := parse_uuid(k)) is not None}
        guilds = {k: k.removeprefix(GUILD_PREFIX) for k in keys if k.startswith(GUILD_PREFIX)}
        query = (
            select(Campaign.id, Campaign.external_key, Campaign.guild_id)
            .where(
                or_(
                    Campaign.external_key.in_(keys),
                    Campaign.id.in_(ids.values()),
                    Campaign.guild_id.in_(guilds.values()),
                )
            )
            .order_by(Campaign.created_at)
        )
        rows = (await self._run(query)).all()
        by_key = {r.external_key: r.id for r in rows if r.external_key}
        by_id = {str(r.id): r.id for r in rows}
        by_guild: dict[str, uuid.UUID] = {}
        for r in rows:
            if r.guild_id:
                by_guild.setdefault(r.guild_id, r.id)  # the oldest campaign of a guild wins
        return {
            k: by_key.get(k) or by_id.get(str(ids.get(k))) or by_guild.get(guilds.get(k, ""))
            for k in keys
        }

    def forget(self, key: str) -> None:
        """Drop a cached campaign key (after creating its campaign)."""
        self._campaigns.pop(key, None)

    async def games(self, game_ids: Iterable[str]) -> dict[str, uuid.UUID | None]:
        """Map VTT game ids to the campaign a game link ties them to.

        A game id links one campaign at a time (`storage.claims`); should
        older data or reports link it to several, none is picked: the roll
        stays unlinked with its key kept, rather than shown to the wrong table.
        """
        wanted = set(game_ids)
        missing = wanted - self._games.keys()
        if missing:
            self._games.update(await self.memo.lookup("game", missing, self._game_holders))
        return {g: self._games[g] for g in wanted}

    async def _game_holders(self, game_ids: set[str]) -> dict[str, uuid.UUID | None]:
        query = select(GameLink.vtt_game_id, GameLink.campaign_id).where(
            GameLink.vtt_game_id.in_(game_ids), GameLink.archived_at.is_(None)
        )
        holders: dict[str, set[uuid.UUID]] = {}
        for r in await self._run(query):
            holders.setdefault(r.vtt_game_id, set()).add(r.campaign_id)
        return {g: _sole(g, holders.get(g, set())) for g in game_ids}

    async def campaign(self, key: str | None) -> uuid.UUID | None:
        """Resolve one campaign key."""
        return None if key is None else (await self.campaigns([key]))[key]

    async def users_by_discord(self, discord_ids: Iterable[str]) -> dict[str, uuid.UUID]:
        """Map Discord ids to the users that exist for them."""
        found = await self.memo.lookup("discord", discord_ids, self._discord_users)
        return {k: v for k, v in found.items() if v is not None}

    async def _discord_users(self, wanted: set[str]) -> dict[str, uuid.UUID]:
        query = select(User.discord_id, User.id).where(User.discord_id.in_(wanted))
        return {r.discord_id: r.id for r in await self._run(query)}

    async def users_by_vtt(self, pairs: Iterable[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        """Map (platform, platform user id) to the user of a live linked account."""
        found = await self.memo.lookup("vtt", pairs, self._vtt_users)
        return {k: v for k, v in found.items() if v is not None}

    async def _vtt_users(self, wanted: set[tuple[str, str]]) -> dict[tuple[str, str], Any]:
        query = select(VttAccount.platform, VttAccount.platform_user_id, VttAccount.user_id).where(
            VttAccount.platform_user_id.in_({p[1] for p in wanted}),
            VttAccount.revoked_at.is_(None),
        )
        rows = await self._run(query)
        found = {(r.platform, r.platform_user_id): r.user_id for r in rows}
        return {p: found[p] for p in wanted if p in found}

    async def characters(
        self, pairs: Iterable[tuple[uuid.UUID, str]]
    ) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
        """Map (campaign id, character name) to a live character."""
        found = await self.memo.lookup("character", pairs, self._characters)
        return {k: v for k, v in found.items() if v is not None}

    async def _characters(
        self, wanted: set[tuple[uuid.UUID, str]]
    ) -> dict[tuple[uuid.UUID, str], uuid.UUID]:
        query = (
            select(Character.campaign_id, Character.name, Character.id)
            .where(
                Character.campaign_id.in_({p[0] for p in wanted}),
                Character.name.in_({p[1] for p in wanted}),
                Character.archived_at.is_(None),
            )
            .order_by(Character.created_at.desc())
        )
        found = {(r.campaign_id, r.name): r.id for r in await self._run(query)}
        return {p: found[p] for p in wanted if p in found}

    async def character_campaigns(self, ids: Iterable[str]) -> dict[str, uuid.UUID | None]:
        """Map live character ids (as text) to the campaign each belongs to."""
        wanted = {u for i in ids if (u := parse_uuid(i)) is not None}
        found = await self.memo.lookup("character_campaign", wanted, self._character_campaigns)
        return {str(k): v for k, v in found.items() if v is not None}

    async def _character_campaigns(self, wanted: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        query = select(Character.id, Character.campaign_id).where(
            Character.id.in_(wanted), Character.archived_at.is_(None)
        )
        return {r.id: r.campaign_id for r in await self._run(query)}

    async def open_sessions(self, campaign_ids: Iterable[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        """Map campaign ids to their open game session, the latest started."""
        found = await self.memo.lookup("open_session", campaign_ids, self._open_sessions)
        return {k: v for k, v in found.items() if v is not None}

    async def _open_sessions(self, wanted: set[uuid.UUID]) -> dict[uuid.UUID, uuid.UUID]:
        query = (
            select(GameSession.campaign_id, GameSession.id)
            .where(
                GameSession.campaign_id.in_(wanted),
                GameSession.ended_at.is_(None),
                GameSession.archived_at.is_(None),
            )
            .order_by(GameSession.started_at)
        )
        return {r.campaign_id: r.id for r in await self._run(query)}

    async def rules(
        self, campaign_ids: Iterable[uuid.UUID]
    ) -> dict[uuid.UUID | None, list[critrules.Rule]]:
        """Return the crit rules in force for each campaign, and for None (no campaign)."""

        async def fetch(ids: set[uuid.UUID | None]) -> dict[uuid.UUID | None, list[critrules.Rule]]:
            return await critrules.in_force(self.session, {i for i in ids if i is not None})

        found = await self.memo.lookup("rules", {None, *campaign_ids}, fetch)
        return {k: v or [] for k, v in found.items()}
