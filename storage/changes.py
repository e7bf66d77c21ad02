"""The change log: every change to a mutable entity, in commit order.

`save` computes the diff from the ORM's attribute history, lets the ORM bump
the version, and appends a change_log row. On PostgreSQL, writers first take
a transaction-scoped advisory lock, so change sequence numbers are handed
out in commit order and a reader's cursor never skips a late commit. SQLite
has a single writer already.
"""

from __future__ import annotations

import logging
import uuid
from typing import Any

from sqlalchemy import func, inspect, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import memo
from storage.models import (
    AiConversation,
    Campaign,
    ChangeLog,
    Character,
    CritRule,
    GameLink,
    GameSession,
    User,
    VttAccount,
)
from storage.views import HIDDEN, jsonable, view

log = logging.getLogger(__name__)

CHANGE_LOCK = 0x46554D42  # "FUMB": one app-wide advisory lock id
ENTITIES: dict[type, str] = {
    Campaign: "campaign",
    Character: "character",
    GameLink: "game_link",
    GameSession: "session",
    User: "user",
    VttAccount: "vtt_account",
    CritRule: "crit_rule",
    AiConversation: "ai_conversation",
}
SKIP = HIDDEN | {"version", "updated_at", "created_at"}


def pending_diff(obj: Any) -> dict[str, Any]:
    """Return the columns changed on `obj` since it was loaded."""
    state = inspect(obj)
    diff = {}
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if attr.key not in SKIP and history.has_changes():
            diff[attr.key] = jsonable(getattr(obj, attr.key))
    return diff


async def save(session: AsyncSession, obj: Any, operation: str | None = None) -> bool:
    """Flush `obj` and log the change; return False when nothing changed."""
    state = inspect(obj)
    created = state.pending or state.transient
    diff = {} if created else pending_diff(obj)
    if not diff and not created:
        return False
    session.add(obj)
    await lock(session)
    await session.flush()
    if created:
        diff = {k: v for k, v in view(obj).items() if k not in SKIP}
    session.add(
        ChangeLog(
            entity=ENTITIES[type(obj)],
            entity_id=obj.id,
            version=obj.version,
            operation=operation or ("create" if created else "update"),
            diff=diff,
            campaign_id=campaign_of(obj),
        )
    )
    return True


def campaign_of(obj: Any) -> uuid.UUID | None:
    """Return the campaign a change belongs to, for per-key scoping of the feed."""
    if isinstance(obj, Campaign):
        return obj.id
    value = getattr(obj, "campaign_id", None)
    return value if isinstance(value, uuid.UUID) else None


async def lock(session: AsyncSession) -> None:
    """Serialise change-log writers so sequence order is commit order; bump the epoch.

    Every change to a mutable entity comes through here first, so it is
    also where ingest's memo of resolved rows learns of it (`storage.memo`);
    on PostgreSQL under the lock, so bumpers queue on it, not on the row.
    """
    if memo.bumped(session):
        return  # this transaction holds the lock already
    if session.get_bind().dialect.name == "postgresql":
        await session.execute(select(func.pg_advisory_xact_lock(CHANGE_LOCK)))
    await memo.bump(session)
