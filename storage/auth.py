"""API keys for the query API, and what each key may see.

A key is either a service key (sees every campaign, and rolls whose campaign
is unknown) or scoped to named campaigns (by id or external key). A scoped
key asking for anything outside its campaigns gets 404, exactly as if it did
not exist, so keys cannot probe for other groups' data.

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

from core_client.web import UnauthorizedError, bearer_token, find_key
from storage.models import Campaign
from storage.resolve import parse_uuid
from storage.settings import ApiKeyGrant, CoreSettings

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Grant:
    """What one key may see: None means every campaign."""

    campaigns: tuple[str, ...] | None


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
    table = dict.fromkeys(settings.api_keys, Grant(None))
    for grant in settings.scoped_api_keys:
        table[grant.key] = Grant(tuple(grant.campaigns))
    return table


def grant_of(table: dict[str, Grant], request: Request) -> Grant:
    """Return the grant of a request's bearer key, or refuse it with 401."""
    grant = find_key(bearer_token(request), table)
    if grant is None:
        raise UnauthorizedError("the API key is not known")
    return grant


async def authenticate(session: AsyncSession, grant: Grant) -> Principal:
    """Return the caller a key's grant describes, its campaigns resolved to ids."""
    if grant.campaigns is None:
        return Principal(None)
    return Principal(await _campaign_ids(session, grant.campaigns))


async def _campaign_ids(session: AsyncSession, refs: Sequence[str]) -> frozenset[uuid.UUID]:
    ids = [u for r in refs if (u := parse_uuid(r)) is not None]
    query = select(Campaign.id).where(or_(Campaign.id.in_(ids), Campaign.external_key.in_(refs)))
    return frozenset((await session.scalars(query)).all())


__all__ = ["ApiKeyGrant", "Grant", "Principal", "authenticate", "grant_of", "key_table"]
