"""user.upserted and vtt.account_linked / vtt.account_revoked.

Users are created on first sight of their Discord id (a roll is enough), so
per-user statistics work before anyone registers. VTT credentials are
encrypted before they reach the session and dropped on revocation.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from core_client.contract import UserUpserted, VttAccountLinked, VttAccountRevoked
from storage import changes
from storage.handlers.context import Ingest, Item, insert_ignoring, moment
from storage.models import ChangeLog, User, VttAccount, utcnow

log = logging.getLogger(__name__)


async def ensure_discord_users(
    ctx: Ingest, discord_ids: Iterable[str], names: Mapping[str, str | None]
) -> dict[str, uuid.UUID]:
    """Return the user id of each Discord id, creating the missing users in bulk."""
    wanted = set(discord_ids)
    if not wanted:
        return {}
    found = await ctx.resolver.users_by_discord(wanted)
    missing = wanted - found.keys()
    if missing:
        now = utcnow()
        rows = [
            {
                "id": uuid.uuid4(),
                "discord_id": d,
                "display_name": names.get(d),
                "version": 1,
                "created_at": now,
                "updated_at": now,
            }
            for d in missing
        ]
        await _insert_users(ctx, rows)
        found = await ctx.resolver.users_by_discord(wanted)
    return found


async def _insert_users(ctx: Ingest, rows: list[dict[str, Any]]) -> None:
    stmt = insert_ignoring(ctx.session, User.__table__, ["discord_id"])
    result = await ctx.session.execute(stmt.values(rows).returning(User.id, User.discord_id))
    created = {r.id for r in result}
    if not created:
        return
    await changes.lock(ctx.session)
    ctx.session.add_all(
        ChangeLog(
            entity="user",
            entity_id=row["id"],
            version=1,
            operation="create",
            diff={"discord_id": row["discord_id"], "display_name": row["display_name"]},
            campaign_id=None,
        )
        for row in rows
        if row["id"] in created
    )


async def upsert_user(session: AsyncSession, discord_id: str, display_name: str | None) -> User:
    """Return the user of a Discord id, created or renamed as needed."""
    user = await session.scalar(select(User).where(User.discord_id == discord_id))
    if user is None:
        user = User(id=uuid.uuid4(), discord_id=discord_id, display_name=display_name)
    elif display_name is not None:
        user.display_name = display_name
    await changes.save(session, user)
    return user


async def store_users(ctx: Ingest, items: Sequence[Item]) -> None:
    """Apply user.upserted events in order."""
    for _, p in items:
        assert isinstance(p, UserUpserted)
        await upsert_user(ctx.session, p.discord_id, p.display_name)


async def store_linked(ctx: Ingest, items: Sequence[Item]) -> None:
    """Apply vtt.account_linked events: link (or relink) an account."""
    for event, p in items:
        assert isinstance(p, VttAccountLinked)
        user = await upsert_user(ctx.session, p.discord_user_id, p.display_name)
        account = await _account(ctx, p.platform.value, p.platform_user_id)
        if account is None:
            account = VttAccount(
                id=uuid.uuid4(), platform=p.platform.value, platform_user_id=p.platform_user_id
            )
        account.user_id = user.id
        account.linked_at = moment(event)
        account.revoked_at = None
        account.credentials = _seal(ctx, p)
        await changes.save(ctx.session, account, "link")


def _seal(ctx: Ingest, p: VttAccountLinked) -> bytes | None:
    if p.credentials is None:
        return None
    if ctx.cipher is None:  # checked before storing; this is the last guard
        raise RuntimeError("credentials arrived but Core has no encryption key")
    return ctx.cipher.encrypt(p.credentials, account_context(p.platform.value, p.platform_user_id))


def account_context(platform: str, platform_user_id: str) -> str:
    """Return the associated data that binds credentials to their account."""
    return f"vtt_account:{platform}:{platform_user_id}"


async def store_revoked(ctx: Ingest, items: Sequence[Item]) -> None:
    """Apply vtt.account_revoked events: mark revoked and forget the credentials."""
    for event, p in items:
        assert isinstance(p, VttAccountRevoked)
        account = await _account(ctx, p.platform.value, p.platform_user_id)
        if account is None or account.revoked_at is not None:
            log.info("revocation of an unknown or revoked %s account; nothing to do", p.platform)
            continue
        account.revoked_at = moment(event)
        account.credentials = None
        await changes.save(ctx.session, account, "revoke")


async def _account(ctx: Ingest, platform: str, platform_user_id: str) -> VttAccount | None:
    query = select(VttAccount).where(
        VttAccount.platform == platform, VttAccount.platform_user_id == platform_user_id
    )
    return await ctx.session.scalar(query)
