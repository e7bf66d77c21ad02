"""Per-request plumbing for the query API: the caller, a session, visibility checks."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker
from starlette.requests import Request

from storage.auth import Grant, Principal, authenticate, grant_of
from storage.errors import RequestError
from storage.models import Campaign
from storage.routes.responses import json_body, not_found


@contextlib.asynccontextmanager
async def caller(request: Request) -> AsyncIterator[tuple[AsyncSession, Principal]]:
    """Open a transaction and authenticate the request in it; an error rolls it back."""
    sessions: async_sessionmaker[AsyncSession] = request.app.state.sessions
    async with sessions() as session, session.begin():
        # A session connects on its first query: a stranger is refused before
        # any, and an issued key's row is read in the request's own transaction.
        principal = await authenticate(session, await grant_of(request, session))
        yield session, principal


async def checked_body(request: Request) -> dict[str, Any]:
    """Check the API key, then read the JSON body: strangers learn nothing from validation."""
    await grant_of(request)
    return await json_body(request)


async def campaign_or_404(
    session: AsyncSession, principal: Principal, campaign_id: uuid.UUID
) -> Campaign:
    """Return a campaign the caller may see, or refuse with 404."""
    if principal.sees(campaign_id):
        campaign = await session.get(Campaign, campaign_id)
        if campaign is not None:
            return campaign
    raise not_found("campaign")


async def entity_or_404(
    session: AsyncSession, principal: Principal, model: Any, entity_id: uuid.UUID, what: str
) -> Any:
    """Return an entity whose campaign the caller may see, or refuse with 404."""
    obj = await session.get(model, entity_id)
    if obj is None or not principal.sees(getattr(obj, "campaign_id", None)):
        raise not_found(what)
    return obj


def service_only(principal: Principal) -> None:
    """Refuse an action only a service key may take."""
    if not principal.is_service:
        raise RequestError("only a service key may do this", status=403, code="forbidden")


async def admin_grant(request: Request) -> Grant:
    """Return the caller's grant if it may manage keys; refuse any other key with 403."""
    grant = await grant_of(request)
    if not grant.admin:
        raise RequestError("only an admin key may manage keys", status=403, code="forbidden")
    return grant
