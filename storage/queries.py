"""Read-side queries: roll history pages, campaign context, the change feed.

Pages are keyset-paginated (no OFFSET), so a page costs the same however
deep the client has read, and rows inserted meanwhile neither repeat nor go
missing.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import ColumnElement, and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import defer

from core_client.contract import answers, codec
from storage import cursors
from storage.auth import Principal
from storage.models import Campaign, ChangeLog, Character, GameLink, GameSession, Roll
from storage.rollfilter import to_utc
from storage.views import as_utc, iso, shaped, view


async def roll_page(
    session: AsyncSession, where: Sequence[ColumnElement[bool]], limit: int, cursor: str | None
) -> answers.RollPage:
    """Return one page of rolls, newest first, and the cursor of the next page."""
    conditions = list(where)
    if cursor:
        at, last = cursors.decode(cursor, 2)
        try:
            at_time, last_id = to_utc(datetime.fromisoformat(str(at))), uuid.UUID(str(last))
        except (ValueError, OverflowError):
            raise cursors.invalid() from None
        conditions.append(
            or_(Roll.rolled_at < at_time, and_(Roll.rolled_at == at_time, Roll.id < last_id))
        )
    query = select(Roll).where(*conditions).order_by(Roll.rolled_at.desc(), Roll.id.desc())
    rows = list((await session.scalars(query.limit(limit + 1))).all())
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursors.encode(iso(rows[-1].rolled_at), str(rows[-1].id)) if more else None
    return shaped(answers.RollPage, {"rolls": [view(r) for r in rows], "next_cursor": next_cursor})


async def _latest_session(session: AsyncSession, campaign_id: uuid.UUID) -> GameSession | None:
    """Return the open session, or else the last one played (its notes still matter)."""
    query = (
        select(GameSession)
        .where(GameSession.campaign_id == campaign_id, GameSession.archived_at.is_(None))
        .order_by(GameSession.ended_at.is_not(None), GameSession.started_at.desc())
        .limit(1)
    )
    return await session.scalar(query)


# A character's sheet as exported, tens of kilobytes each: `sheets=0` leaves them out.
SHEET_COLUMNS = frozenset({"source_json", "roll20_json", "foundry_json", "owlbear_json"})


async def context(
    session: AsyncSession, campaign: Campaign, recent: int, sheets: bool = True
) -> answers.CampaignContext:
    """Return everything the AI needs about a campaign in one answer.

    Without `sheets`, each character comes with its summary and stats but its
    sheet columns are null and never read: what `/ask` and the character
    commands need, at a fraction of the size.
    """
    live = (Character.campaign_id == campaign.id, Character.archived_at.is_(None))
    query = select(Character).where(*live).order_by(Character.name)
    left_out = frozenset() if sheets else SHEET_COLUMNS
    if left_out:
        query = query.options(*(defer(getattr(Character, c)) for c in left_out))
    characters = await session.scalars(query)
    links = await session.scalars(
        select(GameLink).where(GameLink.campaign_id == campaign.id, GameLink.archived_at.is_(None))
    )
    rolls = await session.scalars(
        select(Roll)
        .where(Roll.campaign_id == campaign.id)
        .order_by(Roll.rolled_at.desc(), Roll.id.desc())
        .limit(recent)
    )
    latest = await _latest_session(session, campaign.id)
    is_open = latest is not None and latest.ended_at is None
    answer = {
        "campaign": view(campaign),
        "characters": [view(c, left_out) for c in characters],
        "game_links": [view(g) for g in links],
        "recent_rolls": [view(r) for r in rolls],
        "open_session": view(latest) if latest and is_open else None,
        "last_session": view(latest) if latest and not is_open else None,
        "notes": list(latest.notes) if latest else [],
    }
    # Checked with the characters' summaries as Structs, answered as plain JSON.
    return cast(answers.CampaignContext, codec.to_builtins(shaped(answers.CampaignContext, answer)))


async def change_page(
    session: AsyncSession, principal: Principal, since: str | None, limit: int
) -> answers.ChangePage:
    """Return changes after a cursor, oldest first, and the cursor to resume from."""
    after = 0
    if since:
        (after,) = cursors.decode(since, 1)
        # A sequence number is a BIGINT: anything else cannot have been issued.
        if isinstance(after, bool) or not isinstance(after, int) or not 0 <= after < 2**63:
            raise cursors.invalid()
    query = (
        select(ChangeLog)
        .where(ChangeLog.seq > after, principal.where(ChangeLog.campaign_id))
        .order_by(ChangeLog.seq)
        .limit(limit + 1)
    )
    rows = list((await session.scalars(query)).all())
    more = len(rows) > limit
    rows = rows[:limit]
    last = rows[-1].seq if rows else after
    answer = {
        "changes": [_change(c) for c in rows],
        "next_cursor": cursors.encode(last),
        "has_more": more,
    }
    return shaped(answers.ChangePage, answer)


def _change(row: ChangeLog) -> dict[str, Any]:
    return {
        "entity": row.entity,
        "id": str(row.entity_id),
        "version": row.version,
        "operation": row.operation,
        "diff": row.diff,
        "campaign_id": str(row.campaign_id) if row.campaign_id else None,
        "at": iso(as_utc(row.created_at)),
    }
