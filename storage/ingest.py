"""Turn verified webhook events into rows, each event id at most once.

Validation happens before any write, so a delivery with one malformed event
stores nothing. Duplicates are settled by the database itself (INSERT ... ON
CONFLICT DO NOTHING on the event id), which stays correct when two deliveries
of the same event race each other. Fresh events then go to their type's
handler in delivery order, consecutive events of one type as one batch.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from datetime import UTC, datetime

from sqlalchemy.ext.asyncio import AsyncSession

from core_client.contract import PAYLOADS, Event, EventType, VttAccountLinked, codec
from core_client.contract.answers import Receipt
from core_client.errors import RecordError
from storage.crypto import CredentialCipher
from storage.handlers import ai, campaigns, rolls, sessions, users
from storage.handlers.context import Handler, Ingest, Item, insert_ignoring
from storage.models import WebhookEvent, utcnow

log = logging.getLogger(__name__)

HANDLERS: dict[EventType, Handler] = {
    EventType.ROLL_RECORDED: rolls.store_rolls,
    EventType.CHAT_MESSAGE: rolls.store_chat,
    EventType.AI_USAGE: ai.store_usage,
    EventType.AI_CONVERSATION: ai.store_conversations,
    EventType.USER_UPSERTED: users.store_users,
    EventType.VTT_ACCOUNT_LINKED: users.store_linked,
    EventType.VTT_ACCOUNT_REVOKED: users.store_revoked,
    EventType.SESSION_STARTED: sessions.store_sessions,
    EventType.SESSION_ENDED: sessions.store_sessions,
    EventType.SESSION_NOTE: sessions.store_sessions,
    EventType.CHARACTER_UPSERTED: campaigns.store_characters,
    EventType.CAMPAIGN_UPSERTED: campaigns.store_campaigns,
    EventType.GAME_LINK_UPSERTED: campaigns.store_game_links,
}


def parse(events: Sequence[Event], cipher: CredentialCipher | None = None) -> list[Item]:
    """Validate every event's payload; raise RecordError naming the first bad field."""
    items = []
    for event in events:
        payload = codec.decode(event.data, PAYLOADS[event.type])
        if isinstance(payload, VttAccountLinked) and payload.credentials is not None and not cipher:
            raise RecordError(
                "credentials",
                "Core cannot store credentials: FUMBLEBOT_CORE_ENCRYPTION_KEY is unset",
            )
        items.append((event, payload))
    return items


async def store(
    session: AsyncSession,
    events: Sequence[Event],
    cipher: CredentialCipher | None = None,
    items: Sequence[Item] | None = None,
) -> Receipt:
    """Store a delivery in one transaction (`items`: its events already parsed)."""
    items = parse(events, cipher) if items is None else items
    fresh = await _claim(session, events)
    todo = [item for item in _unique(items) if item[0].id in fresh]
    ctx = Ingest(session, cipher)
    for kind, run in itertools.groupby(todo, key=lambda item: HANDLERS[item[0].type]):
        await kind(ctx, list(run))
    return {"accepted": len(fresh), "duplicates": len(events) - len(fresh)}


def _unique(items: Sequence[Item]) -> list[Item]:
    seen: set[str] = set()
    out = []
    for item in items:
        if item[0].id not in seen:
            seen.add(item[0].id)
            out.append(item)
    return out


async def _claim(session: AsyncSession, events: Sequence[Event]) -> set[str]:
    """Record event ids; return those not seen before."""
    now = utcnow()
    values = [
        {
            "event_id": e.id,
            "type": e.type.value,
            "occurred_at": datetime.fromtimestamp(e.occurred_at, UTC),
            "created_at": now,
            "updated_at": now,
        }
        for e in {e.id: e for e in events}.values()
    ]
    # executemany form: one cached statement, batched by SQLAlchemy's insertmanyvalues
    stmt = insert_ignoring(session, WebhookEvent.__table__, ["event_id"])
    result = await session.execute(stmt.returning(WebhookEvent.__table__.c.event_id), values)
    return {row[0] for row in result}
