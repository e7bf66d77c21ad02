"""API keys for the query API, and what each key may see.

A key is either a service key (sees every campaign, and rolls whose campaign
is unknown) or scoped to named campaigns (by id or external key). A scoped
key asking for anything outside its campaigns gets 404, exactly as if it did
not exist, so keys cannot probe for other groups' data. Keys come from the
environment (FUMBLEBOT_CORE_API_KEY, which may also manage keys, and
`scoped_api_keys`) or were issued by Core itself (`storage.apikeys`), looked
up in the database on each request so a revocation holds at once.

The bearer key is read and compared by the shared toolkit (`core_client.web`):
against every configured key, each in constant time, so timing tells an
attacker nothing about any key.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request

from core_client.contract import KeyRole
from core_client.web import UnauthorizedError, bearer_token, find_key
from storage import apikeys
from storage.models import ApiKey, Campaign
from storage.resolve import parse_uuid
from storage.settings import ApiKeyGrant, CoreSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Grant:
    """What one key may see (None: every campaign), and whether it may manage keys."""

    campaigns: tuple[str, ...] | None
    admin: bool = False


@dataclass(frozen=True, slots=True)
class Principal:
    """The caller of one request, with the campaign ids it may see."""

    campaigns: frozenset[uuid.UUID] | None

    @property
    def is_service(self) -> bool:
        """Return whether the caller sees every campaign."""
        return self.campaigns is None

    def sees(self, campaign_id: uuid.UUID | None) -> bool:
        """Return whether the caller may see a campaign (None: no campaign)."""
        if self.campaigns is None:
            return True
        return campaign_id is not None and campaign_id in self.campaigns

    def where(self, column: Any) -> ColumnElement[bool]:
        """Return a filter limiting `column` (a campaign id) to what the caller sees."""
        if self.campaigns is None:
            return true()
        if not self.campaigns:
            return false()
        return column.in_(self.campaigns)  # type: ignore[no-any-return]


def key_table(settings: CoreSettings) -> dict[str, Grant]:
    """Map every configured key to what it may see."""
    table = dict.fromkeys(settings.api_keys, Grant(None, admin=True))
    for grant in settings.scoped_api_keys:
        table[grant.key] = Grant(tuple(grant.campaigns))
    return table


async def grant_of(request: Request, session: AsyncSession | None = None) -> Grant:
    """Return the grant of a request's bearer key, or refuse it with 401.

    The configured keys are tried first; then the keys Core issued, read in
    `session` (the request's own transaction) or, without one, in a
    transaction of their own. The answer is kept for the rest of the request.
    """
    known = getattr(request.state, "grant", None)
    if isinstance(known, Grant):
        return known
    token = bearer_token(request)
    table: dict[str, Grant] = request.app.state.api_keys
    grant = find_key(token, table)
    if grant is None and apikeys.key_id(token) is not None:
        grant = await _issued(request, token, session)
    if grant is None:
        raise UnauthorizedError("the API key is not known")
    request.state.grant = grant
    return grant


async def _issued(request: Request, token: str, session: AsyncSession | None) -> Grant | None:
    if session is None:
        async with request.app.state.sessions() as own, own.begin():
            row = await apikeys.find(own, token)
    else:
        row = await apikeys.find(session, token)
    return None if row is None else issued_grant(row)


def issued_grant(row: ApiKey) -> Grant:
    """Return what a key Core issued may see and do."""
    campaigns = None if row.campaigns is None else tuple(row.campaigns)
    return Grant(campaigns, admin=row.role == KeyRole.ADMIN)


async def authenticate(session: AsyncSession, grant: Grant) -> Principal:
    """Return the caller a key's grant describes, its campaigns resolved to ids."""
    if grant.campaigns is None:
        return Principal(None)
    return Principal(await _campaign_ids(session, grant.campaigns))


async def _campaign_ids(session: AsyncSession, refs: Sequence[str]) -> frozenset[uuid.UUID]:
    ids = [u for r in refs if (u := parse_uuid(r)) is not None]
    query = select(Campaign.id).where(or_(Campaign.id.in_(ids), Campaign.external_key.in_(refs)))
    return frozenset((await session.scalars(query)).all())


__all__ = [
    "ApiKeyGrant",
    "Grant",
    "Principal",
    "authenticate",
    "grant_of",
    "issued_grant",
    "key_table",
]
