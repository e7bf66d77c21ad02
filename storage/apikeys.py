"""API keys Core issues and revokes itself, beside the keys configured in the environment.

A key reads `fbk_<id>_<secret>`: the id finds its row, and the row holds
only the SHA-256 of the whole key, compared in constant time
(`core_client.web.matches_digest`), so neither the database nor a backup
gives a working key. The key is shown once, when it is issued. Revocation is
a column Core reads on every request, so it takes effect at once, with no
restart. The routes (`storage.routes.keys`) and `fumblebot keys` share this.
"""

from __future__ import annotations

import logging
import secrets
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import timedelta

import msgspec
from sqlalchemy import or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from core_client.contract import KeyRole, answers
from core_client.web import digest, matches_digest
from storage.errors import RequestError
from storage.models import ApiKey, Campaign, utcnow
from storage.resolve import parse_uuid
from storage.views import as_utc, iso

log = logging.getLogger(__name__)

PREFIX = "fbk_"
_ID_END = len(PREFIX) + 32
SECRET_BYTES = 32
# `last_used_at` is written at most this often per key: reads stay reads.
TOUCH_EVERY = timedelta(minutes=1)


@dataclass(frozen=True, slots=True)
class Issued:
    """A key just issued: its row, and the key itself, which is never kept."""

    row: ApiKey
    key: str


def key_id(token: str) -> uuid.UUID | None:
    """Return the id an issued key names, or None if `token` is not shaped like one."""
    if not token.startswith(PREFIX) or token[_ID_END : _ID_END + 1] != "_":
        return None
    try:
        return uuid.UUID(hex=token[len(PREFIX) : _ID_END])
    except ValueError:
        return None


async def issue(
    session: AsyncSession, role: KeyRole, campaigns: Sequence[str] | None, label: str | None
) -> Issued:
    """Store a new key's digest and return the key; refuse a scope naming no campaign."""
    if role is KeyRole.ADMIN and campaigns:
        raise _invalid("campaigns", "an admin key sees every campaign; issue a query key instead")
    ids = None if campaigns is None else await _campaign_ids(session, campaigns)
    row_id = uuid.uuid4()
    key = f"{PREFIX}{row_id.hex}_{secrets.token_urlsafe(SECRET_BYTES)}"
    row = ApiKey(id=row_id, role=role.value, campaigns=ids, label=label, secret_digest=digest(key))
    session.add(row)
    await session.flush()
    log.info("issued API key %s (role %s)", row_id, role.value)
    return Issued(row, key)


async def _campaign_ids(session: AsyncSession, refs: Sequence[str]) -> list[str]:
    """Return the ids of the campaigns named by id or external key, refusing an unknown one."""
    found: list[str] = []
    for index, ref in enumerate(refs):
        as_id = parse_uuid(ref)
        query = select(Campaign.id).where(
            or_(Campaign.external_key == ref, Campaign.id == as_id)
            if as_id is not None
            else Campaign.external_key == ref
        )
        campaign = await session.scalar(query)
        if campaign is None:
            raise _invalid(f"campaigns[{index}]", "no campaign has that id or external key")
        if str(campaign) not in found:
            found.append(str(campaign))
    return found


def _invalid(field: str, problem: str) -> RequestError:
    return RequestError(problem, status=422, code="invalid_body", field=field)


async def listing(session: AsyncSession) -> list[ApiKey]:
    """Return every issued key, revoked ones too, oldest first."""
    rows = await session.scalars(select(ApiKey).order_by(ApiKey.created_at, ApiKey.id))
    return list(rows.all())


async def revoke(session: AsyncSession, row_id: uuid.UUID) -> ApiKey | None:
    """Revoke a key (again is harmless); return it, or None if Core never issued it."""
    row = await session.get(ApiKey, row_id)
    if row is not None and row.revoked_at is None:
        row.revoked_at = utcnow()
        log.info("revoked API key %s", row_id)
    return row


async def find(session: AsyncSession, token: str) -> ApiKey | None:
    """Return the live key `token` is, noting its use; None if unknown or revoked."""
    row_id = key_id(token)
    row = None if row_id is None else await session.get(ApiKey, row_id)
    if row is None or not matches_digest(token, row.secret_digest) or row.revoked_at:
        return None
    now = utcnow()
    if row.last_used_at is None or now - as_utc(row.last_used_at) >= TOUCH_EVERY:
        row.last_used_at = now
    return row


def info(row: ApiKey) -> answers.ApiKeyInfo:
    """Return what the list shows of a key: everything but its digest."""
    return answers.ApiKeyInfo(
        id=str(row.id),
        role=KeyRole(row.role),
        campaigns=None if row.campaigns is None else list(row.campaigns),
        label=row.label,
        created_at=iso(row.created_at),
        last_used_at=iso(row.last_used_at) if row.last_used_at else None,
        revoked_at=iso(row.revoked_at) if row.revoked_at else None,
    )


def issued(new: Issued) -> answers.IssuedApiKey:
    """Return the answer to issuing a key: the key, this once, with its fields."""
    return answers.IssuedApiKey(key=new.key, **msgspec.structs.asdict(info(new.row)))
