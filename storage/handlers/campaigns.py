"""campaign.upserted, character.upserted and game_link.upserted.

Entities that belong to a campaign create it on first mention (named after
its key), so a character or link reported before its campaign is not lost.
Rolls and chat do not: they keep their key and stay unlinked until a
campaign claims it.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core_client.contract import CampaignUpserted, CharacterUpserted, GameLinkUpserted
from storage import changes, claims, summaries
from storage.handlers.context import Ingest, Item
from storage.handlers.users import upsert_user
from storage.models import Campaign, Character, GameLink
from storage.resolve import GUILD_PREFIX

log = logging.getLogger(__name__)


async def campaign_for(ctx: Ingest, key: str) -> Campaign:
    """Return the campaign a key names, creating it when Core has never heard of it."""
    found = await ctx.resolver.campaign(key)
    if found is not None:
        campaign = await ctx.session.get(Campaign, found)
        assert campaign is not None
        return campaign
    campaign = _new_campaign(key)
    await changes.save(ctx.session, campaign)
    ctx.resolver.forget(key)
    log.info("created campaign %s on first mention", key)
    return campaign


async def store_campaigns(ctx: Ingest, items: Sequence[Item]) -> None:
    """Apply campaign.upserted events in order."""
    for _, p in items:
        assert isinstance(p, CampaignUpserted)
        # Look everything up before changing anything: a query autoflushes,
        # and one flush per change keeps one version per change.
        gm = (await upsert_user(ctx.session, p.gm_discord_id, None)).id if p.gm_discord_id else None
        campaign = await ctx.session.scalar(select(Campaign).where(Campaign.external_key == p.key))
        if campaign is None:
            campaign = _new_campaign(p.key)
            ctx.resolver.forget(p.key)
        campaign.name = p.name
        if p.guild_id is not None:
            campaign.guild_id = p.guild_id
        if p.settings is not None:
            campaign.settings = dict(p.settings)
        if gm is not None:
            campaign.gm_user_id = gm
        await changes.save(ctx.session, campaign)


def _new_campaign(key: str) -> Campaign:
    guild = key.removeprefix(GUILD_PREFIX) if key.startswith(GUILD_PREFIX) else None
    return Campaign(id=uuid.uuid4(), external_key=key, guild_id=guild, name=key, settings={})


async def _character(ctx: Ingest, p: CharacterUpserted, campaign: uuid.UUID | None) -> Character:
    query = select(Character)
    if p.source_id is not None:
        query = query.where(
            Character.source_platform == p.source_platform.value, Character.source_id == p.source_id
        )
    else:
        query = query.where(
            Character.campaign_id == campaign,
            Character.name == p.name,
            Character.source_id.is_(None),
        )
    found = await ctx.session.scalar(query.limit(1))
    return found or Character(
        id=uuid.uuid4(), source_platform=p.source_platform.value, source_id=p.source_id
    )


async def store_characters(ctx: Ingest, items: Sequence[Item]) -> None:
    """Apply character.upserted events in order."""
    for _, p in items:
        assert isinstance(p, CharacterUpserted)
        owner = (
            (await upsert_user(ctx.session, p.owner_discord_id, None)).id
            if p.owner_discord_id
            else None
        )
        campaign = (await campaign_for(ctx, p.campaign_id)).id if p.campaign_id else None
        character = await _character(ctx, p, campaign)
        character.name = p.name
        character.campaign_id = campaign if campaign is not None else character.campaign_id
        character.source_json = p.source
        character.stats = dict(p.stats)
        summaries.refresh(character)
        formats = {"roll20_json": p.roll20, "foundry_json": p.foundry, "owlbear_json": p.owlbear}
        for column, value in formats.items():
            if value is not None:
                setattr(character, column, value)
        if owner is not None:
            character.owner_user_id = owner
        await changes.save(ctx.session, character)


async def store_game_links(ctx: Ingest, items: Sequence[Item]) -> None:
    """Apply game_link.upserted events: the same channel or VTT game updates its link."""
    for _, p in items:
        assert isinstance(p, GameLinkUpserted)
        campaign = await campaign_for(ctx, p.campaign_id)
        link = await _link(ctx, campaign.id, p)
        link.discord_channel_id = p.discord_channel_id
        link.platform = p.platform.value if p.platform else None
        link.vtt_game_id = p.game_id
        link.sync_chat = p.sync_chat
        link.sync_rolls = p.sync_rolls
        link.archived_at = None
        await changes.save(ctx.session, link)
        # A report may not take another campaign's game or channel either;
        # the ingest refuses this event alone (see ingest.unstorable).
        await claims.check(ctx.session, link)


async def _link(ctx: Ingest, campaign: uuid.UUID, p: GameLinkUpserted) -> GameLink:
    query = select(GameLink).where(GameLink.campaign_id == campaign)
    if p.game_id is not None:
        query = query.where(GameLink.vtt_game_id == p.game_id)
    elif p.discord_channel_id is not None:
        query = query.where(GameLink.discord_channel_id == p.discord_channel_id)
    else:
        query = query.where(GameLink.vtt_game_id.is_(None), GameLink.discord_channel_id.is_(None))
    found = await ctx.session.scalar(query.limit(1))
    return found or GameLink(id=uuid.uuid4(), campaign_id=campaign)
