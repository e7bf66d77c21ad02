"""Chat history: `GET /chat?campaign_id=&since=&until=&limit=&cursor=`, oldest first.

Chat is read forwards (a recap reads a session from its start), so pages go
oldest first; like roll history they are keyset-paginated on (sent_at, id),
and a caller sees only the chat of the campaigns its key may see.
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import and_, or_, select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core_client.contract import answers
from storage import cursors
from storage.auth import Principal
from storage.models import ChatMessage
from storage.rollfilter import parse_time
from storage.routes.guard import caller
from storage.routes.responses import page_size, query_uuid
from storage.views import iso, shaped, view


async def chat_history(request: Request) -> JSONResponse:
    """Return chat sent in [`since`, `until`), oldest first, a page at a time."""
    limit = page_size(request)
    params = request.query_params
    where = _Window(
        query_uuid(request, "campaign_id"),
        parse_time(params.get("since"), "since"),
        parse_time(params.get("until"), "until"),
    )
    async with caller(request) as (session, principal):
        rows = await _page(session, principal, where, params.get("cursor"), limit + 1)
    more = len(rows) > limit
    rows = rows[:limit]
    next_cursor = cursors.encode(iso(rows[-1].sent_at), str(rows[-1].id)) if more else None
    page = {"chat": [view(r) for r in rows], "next_cursor": next_cursor}
    return JSONResponse(shaped(answers.ChatPage, page))


@dataclass(frozen=True, slots=True)
class _Window:
    """Which chat a query is about: a campaign and a time range, each optional."""

    campaign_id: uuid.UUID | None
    since: datetime | None
    until: datetime | None


async def _page(
    session: AsyncSession, principal: Principal, where: _Window, cursor: str | None, limit: int
) -> list[ChatMessage]:
    conditions: list[Any] = [principal.where(ChatMessage.campaign_id)]
    if where.campaign_id is not None:
        conditions.append(ChatMessage.campaign_id == where.campaign_id)
    if where.since is not None:
        conditions.append(ChatMessage.sent_at >= where.since)
    if where.until is not None:
        conditions.append(ChatMessage.sent_at < where.until)
    if cursor:
        at, last = _position(cursor)
        later = and_(ChatMessage.sent_at == at, ChatMessage.id > last)
        conditions.append(or_(ChatMessage.sent_at > at, later))
    query = select(ChatMessage).where(*conditions).order_by(ChatMessage.sent_at, ChatMessage.id)
    return list((await session.scalars(query.limit(limit))).all())


def _position(cursor: str) -> tuple[datetime, uuid.UUID]:
    at, last = cursors.decode(cursor, 2)
    try:
        return datetime.fromisoformat(str(at)), uuid.UUID(str(last))
    except ValueError:
        raise cursors.invalid() from None


ROUTES = [Route("/chat", chat_history, methods=["GET"])]
