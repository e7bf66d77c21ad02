"""A VTT game id and a Discord channel belong to one campaign at a time.

Rolls known only by their game id are attributed through the game link that
names it, and the bot finds a channel's campaign through its link; if two
campaigns could link the same game or channel, a key scoped to one could
claim the other's rolls and channel. So a live link may name a game id or a
channel only while no other campaign's live link does: claiming one that is
taken is refused with 409, naming the campaign that holds it. Links of the
same campaign may share them (two channels of one table, one game).

The check runs after the write, in its transaction, so it sees the link as
it will be stored. On PostgreSQL two claims of the same value are serialised
by a transaction-scoped advisory lock taken before the check (its query then
sees the other claim once committed); SQLite serialises writers itself.
"""

from __future__ import annotations

import logging
import uuid

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage.errors import ClaimConflictError
from storage.models import GameLink

log = logging.getLogger(__name__)

CLAIMED = ("vtt_game_id", "discord_channel_id")


async def check(session: AsyncSession, link: GameLink) -> None:
    """Refuse a live link naming a game or channel another campaign's live link holds."""
    if link.archived_at is not None:
        return
    for name in CLAIMED:
        value = getattr(link, name)
        if value is None:
            continue
        await _lock(session, f"{name}:{value}")
        holder = await holder_of(session, name, value, besides=link.campaign_id)
        if holder is not None:
            raise ClaimConflictError(name, holder)


async def holder_of(
    session: AsyncSession, name: str, value: str, *, besides: uuid.UUID | None = None
) -> uuid.UUID | None:
    """Return the campaign whose live link names `value` in column `name` (but `besides`)."""
    column = getattr(GameLink, name)
    query = select(GameLink.campaign_id).where(column == value, GameLink.archived_at.is_(None))
    if besides is not None:
        query = query.where(GameLink.campaign_id != besides)
    return await session.scalar(query.order_by(GameLink.created_at).limit(1))


async def _lock(session: AsyncSession, key: str) -> None:
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(func.hashtext(f"claim:{key}"))))
