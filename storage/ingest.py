"""Turn verified webhook events into rows, each event id at most once.

Validation happens before any write, event by event: a malformed event is
refused alone (its index, id, field and reason go back in the receipt) and
the valid events of the same delivery are stored, so one bad event never
holds up the sender's queue. Duplicates are settled by the database itself
(INSERT ... ON CONFLICT DO NOTHING on the event id), which stays correct when
two deliveries of the same event race each other. Fresh events then go to
their type's handler in delivery order, consecutive events of one type as one
batch, in one transaction; should the database refuse a value the validators
let through, the events are stored one by one and only the culprit refused.
"""

from __future__ import annotations

import itertools
import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime

from sqlalchemy.exc import DataError
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker

from core_client.contract import PAYLOADS, Event, EventType, VttAccountLinked, codec, typed
from core_client.contract.events import split_delivery
from core_client.contract.receipts import DeliveryReceipt, RefusedEvent, refused_event
from core_client.errors import RecordError
from storage import bulk, db
from storage.crypto import CredentialCipher
from storage.errors import ClaimConflictError
from storage.handlers import ai, campaigns, rolls, sessions, users
from storage.handlers.context import Handler, Ingest, Item
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


# What a database refuses as a value (out of range, NUL in text, a lone
# surrogate), or a game link claiming what another campaign holds: the
# event's fault, not the database's, so retrying cannot help.
# Drivers raise these raw or wrapped (asyncpg's encoding failure reaches us as
# a generic DBAPIError caused by a UnicodeEncodeError, a NUL as one caused by
# an error with SQLSTATE 22021), so the chain is read.
UNSTORABLE = (DataError, UnicodeError, OverflowError, ClaimConflictError)


def unstorable(exc: BaseException) -> bool:
    """Return True if a storage failure is about a value, not the database."""
    cur: BaseException | None = exc
    for _ in range(8):  # a cause chain is short; never loop on a cyclic one
        if cur is None:
            return False
        if isinstance(cur, UNSTORABLE) or str(getattr(cur, "sqlstate", "")).startswith("22"):
            return True  # SQLSTATE class 22 is "data exception", whatever the driver
        cur = cur.__cause__ or cur.__context__
    return False


@dataclass(slots=True)
class Checked:
    """A delivery after validation: the events to store (by index) and those refused."""

    items: list[tuple[int, Item]] = field(default_factory=list)
    refused: list[RefusedEvent] = field(default_factory=list)


def parse(events: Sequence[Event], cipher: CredentialCipher | None = None) -> list[Item]:
    """Validate every event's payload; raise RecordError naming the first bad field."""
    return [_parse_one(event, cipher) for event in events]


def check_body(body: bytes, cipher: CredentialCipher | None = None) -> Checked:
    """Validate a delivery body's events, each on its own; raise RecordError for the body.

    Rolls and chat lines, all valid, take the typed shortcut (`contract.typed`),
    which judges nothing: whatever it does not take goes through `check`.
    """
    fast = typed.decode(body)
    if fast is None:
        return check(split_delivery(body), cipher)
    return Checked(items=list(enumerate(fast)))


def check(raw: Sequence[object], cipher: CredentialCipher | None = None) -> Checked:
    """Validate each event of a delivery on its own, keeping the good and the refused apart."""
    checked = Checked()
    for index, obj in enumerate(raw):
        try:
            item = _parse_one(codec.decode(obj, Event, f"events[{index}]"), cipher)
        except RecordError as exc:
            checked.refused.append(refused_event(index, _raw_id(obj), exc.field, exc.problem))
        else:
            checked.items.append((index, item))
    return checked


def _parse_one(event: Event, cipher: CredentialCipher | None) -> Item:
    payload = codec.decode(event.data, PAYLOADS[event.type])
    if isinstance(payload, VttAccountLinked) and payload.credentials is not None and not cipher:
        raise RecordError(
            "credentials",
            "Core cannot store credentials: FUMBLEBOT_CORE_ENCRYPTION_KEY is unset",
        )
    return event, payload


def _raw_id(obj: object) -> str | None:
    event_id = obj.get("id") if isinstance(obj, dict) else None
    return event_id[:200] if isinstance(event_id, str) else None


async def store_checked(
    sessions: async_sessionmaker[AsyncSession],
    checked: Checked,
    cipher: CredentialCipher | None = None,
) -> DeliveryReceipt:
    """Store a checked delivery's valid events in one transaction, else one by one."""
    items = [item for _, item in checked.items]
    try:
        async with sessions.begin() as session:
            receipt = await store(session, [event for event, _ in items], cipher, items)
    except Exception as exc:
        if not unstorable(exc):
            raise
        log.warning(
            "the database refused a delivery (%s); storing its events one by one", db.failure(exc)
        )
        return await _store_each(sessions, checked, cipher)
    return DeliveryReceipt(receipt.accepted, receipt.duplicates, tuple(checked.refused))


async def _store_each(
    sessions: async_sessionmaker[AsyncSession], checked: Checked, cipher: CredentialCipher | None
) -> DeliveryReceipt:
    accepted = duplicates = 0
    refused = list(checked.refused)
    for index, (event, payload) in checked.items:
        try:
            async with sessions.begin() as session:
                one = await store(session, [event], cipher, [(event, payload)])
        except Exception as exc:
            if not unstorable(exc):
                raise
            log.error("Core cannot store event %s: %s", event.id, db.failure(exc))
            refused.append(_refusal(index, event.id, exc))
        else:
            accepted, duplicates = accepted + one.accepted, duplicates + one.duplicates
    return DeliveryReceipt(accepted, duplicates, tuple(sorted(refused, key=lambda r: r.index)))


def _refusal(index: int, event_id: str, exc: Exception) -> RefusedEvent:
    if isinstance(exc, ClaimConflictError):
        field = _CLAIM_FIELDS.get(exc.field or "", exc.field or "")
        return refused_event(index, event_id, f"data.{field}", exc.message)
    reason = f"the database cannot store a value of it ({type(exc).__name__})"
    return refused_event(index, event_id, "data", reason)


# The payload's name of each column a claim is about.
_CLAIM_FIELDS = {"vtt_game_id": "game_id", "discord_channel_id": "discord_channel_id"}


async def store(
    session: AsyncSession,
    events: Sequence[Event],
    cipher: CredentialCipher | None = None,
    items: Sequence[Item] | None = None,
) -> DeliveryReceipt:
    """Store a delivery in one transaction (`items`: its events already parsed)."""
    items = parse(events, cipher) if items is None else items
    fresh = await _claim(session, events)
    todo = [item for item in _unique(items) if item[0].id in fresh]
    ctx = Ingest(session, cipher)
    for kind, run in itertools.groupby(todo, key=lambda item: HANDLERS[item[0].type]):
        await kind(ctx, list(run))
    return DeliveryReceipt(accepted=len(fresh), duplicates=len(events) - len(fresh))


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
        (e.id, e.type.value, datetime.fromtimestamp(e.occurred_at, UTC), now, now)
        for e in sorted({e.id: e for e in events}.values(), key=lambda e: e.id)
    ]
    # ON CONFLICT DO NOTHING: of two deliveries racing with one event, one inserts it.
    # In id order, so two deliveries sharing events wait on each other, never deadlock.
    table = WebhookEvent.__table__
    return set(
        await bulk.insert(
            session, table, values, columns=CLAIM, conflict=["event_id"], returning="event_id"
        )
    )


CLAIM = ("event_id", "type", "occurred_at", "created_at", "updated_at")
