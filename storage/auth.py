"""API keys for the query API, and what each key may see.

A key is either a service key (sees every campaign, and rolls whose campaign
is unknown) or scoped to named campaigns (by id or external key). A scoped
key asking for anything outside its campaigns gets 404, exactly as if it did
not exist, so keys cannot probe for other groups' data.

Keys are compared by their SHA-256 digest in a dict: the lookup time depends
on the digest, which tells an attacker nothing about the key.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, false, or_, select, true
from sqlalchemy.ext.asyncio import AsyncSession

from storage.models import Campaign
from storage.resolve import parse_uuid
from storage.routes.responses import ApiError
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


def _digest(key: str) -> bytes:
    return hashlib.sha256(key.encode()).digest()


def key_table(settings: CoreSettings) -> dict[bytes, Grant]:
    """Index every configured key by digest."""
    table = {_digest(k): Grant(None) for k in settings.api_keys}
    for grant in settings.scoped_api_keys:
        table[_digest(grant.key)] = Grant(tuple(grant.campaigns))
    return table


def bearer(header: str | None) -> str:
    """Return the key of an `Authorization: Bearer <key>` header."""
    scheme, _, key = (header or "").partition(" ")
    if scheme.lower() != "bearer" or not key.strip():
        raise ApiError(401, "unauthorized", "send 'Authorization: Bearer <api key>'")
    return key.strip()


def grant_of(table: dict[bytes, Grant], header: str | None) -> Grant:
    """Return the grant of a request's key, or refuse it with 401."""
    grant = table.get(_digest(bearer(header)))
    if grant is None:
        raise ApiError(401, "unauthorized", "the API key is not known")
    return grant


async def authenticate(
    session: AsyncSession, table: dict[bytes, Grant], header: str | None
) -> Principal:
    """Return the caller a request's Authorization header names."""
    grant = grant_of(table, header)
    if grant.campaigns is None:
        return Principal(None)
    return Principal(await _campaign_ids(session, grant.campaigns))


async def _campaign_ids(session: AsyncSession, refs: Sequence[str]) -> frozenset[uuid.UUID]:
    ids = [u for r in refs if (u := parse_uuid(r)) is not None]
    query = select(Campaign.id).where(or_(Campaign.id.in_(ids), Campaign.external_key.in_(refs)))
    return frozenset((await session.scalars(query)).all())


__all__ = ["ApiKeyGrant", "Grant", "Principal", "authenticate", "bearer", "grant_of", "key_table"]
