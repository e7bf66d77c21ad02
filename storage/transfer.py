"""A campaign as one JSON document: export it from one Core, import it into another.

The document holds the campaign and everything in it (sessions, characters,
game links, its own crit rules, rolls, chat, AI conversations and usage)
plus the users they name, each table's rows column by column, ids kept, so
references survive the move. Not exported: VTT accounts (their credentials
are encrypted with the source Core's key) and the change feed (history of
the source, not state).

Import refuses, before writing anything, a campaign Core already holds (by
id or external key) and a game or channel another campaign holds
(`storage.claims`); a user whose Discord id the target already knows is
merged into that user.
"""

from __future__ import annotations

import logging
import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import DateTime, Uuid, insert, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from storage import changes, claims, tallies
from storage.errors import StorageError
from storage.models import (
    AiConversation,
    AiUsage,
    Campaign,
    Character,
    ChatMessage,
    CritRule,
    GameLink,
    GameSession,
    Roll,
    User,
)
from storage.views import as_utc

log = logging.getLogger(__name__)

FORMAT = "fumblebot.campaign/1"
# In the order rows must be inserted: each table only names those before it.
TABLES: tuple[Any, ...] = (
    Campaign,
    GameSession,
    Character,
    GameLink,
    CritRule,
    Roll,
    ChatMessage,
    AiConversation,
    AiUsage,
)
USER_COLUMNS = {
    Campaign: "gm_user_id",
    Character: "owner_user_id",
    Roll: "user_id",
    AiConversation: "user_id",
    AiUsage: "user_id",
}


class TransferError(StorageError):
    """A campaign document is malformed, or cannot be imported here."""


async def export_campaign(session: AsyncSession, ref: str) -> dict[str, Any]:
    """Return the document of the campaign with id or external key `ref`."""
    campaign = await _find(session, ref)
    tables: dict[str, list[dict[str, Any]]] = {}
    user_ids: set[uuid.UUID] = set()
    for model in TABLES:
        column = model.id if model is Campaign else model.campaign_id
        query = select(model).where(column == campaign.id).order_by(model.created_at, model.id)
        rows = (await session.scalars(query)).all()
        tables[model.__tablename__] = [_dump(row) for row in rows]
        if (name := USER_COLUMNS.get(model)) is not None:
            user_ids |= {getattr(r, name) for r in rows if getattr(r, name) is not None}
    query = select(User).where(User.id.in_(user_ids)).order_by(User.id)
    users = (await session.scalars(query)).all()
    return {"format": FORMAT, "users": [_dump(u) for u in users], "tables": tables}


async def _find(session: AsyncSession, ref: str) -> Campaign:
    try:
        by_id = Campaign.id == uuid.UUID(ref)
    except ValueError:
        by_id = Campaign.external_key == ref
    found = await session.scalar(select(Campaign).where(or_(by_id, Campaign.external_key == ref)))
    if found is None:
        raise TransferError(f"Core holds no campaign {ref!r} (give its id or external key)")
    return found


def _dump(row: Any) -> dict[str, Any]:
    out = {}
    for column in row.__table__.columns:
        value = getattr(row, column.key)
        if isinstance(value, uuid.UUID):
            value = str(value)
        elif isinstance(value, datetime):
            value = as_utc(value).isoformat()  # SQLite hands back naive UTC
        out[column.key] = value
    return out


async def import_campaign(session: AsyncSession, document: Any) -> uuid.UUID:
    """Insert a campaign document's rows; return the campaign's id. Refuses before writing."""
    tables, users = _check_document(document)
    campaign = tables["campaigns"][0]
    await _refuse_taken(session, campaign, tables["game_links"])
    # Its rows bypass the change log, not ingest's memo: moving the epoch on
    # makes every Core process look its new campaign, users and rules up.
    await changes.lock(session)
    remap = await _merge_users(session, users)
    for model in TABLES:
        rows = tables[model.__tablename__]
        if (name := USER_COLUMNS.get(model)) is not None:
            for row in rows:
                row[name] = remap.get(row[name], row[name])
        if rows:
            await session.execute(insert(model), rows)
    await tallies.record(session, tables[Roll.__tablename__])  # the statistics count them too
    log.info("imported campaign %s", campaign["id"])
    return uuid.UUID(str(campaign["id"]))


def _check_document(document: Any) -> tuple[dict[str, list[dict[str, Any]]], list[dict[str, Any]]]:
    if not isinstance(document, dict) or document.get("format") != FORMAT:
        raise TransferError(f"not a campaign document: its format must be {FORMAT!r}")
    raw, users = document.get("tables"), document.get("users")
    if not isinstance(raw, dict) or not isinstance(users, list):
        raise TransferError("a campaign document has 'tables' (an object) and 'users' (a list)")
    tables = {m.__tablename__: [_load(m, r) for r in raw.get(m.__tablename__, [])] for m in TABLES}
    if len(tables["campaigns"]) != 1:
        raise TransferError("a campaign document holds exactly one campaign")
    return tables, [_load(User, u) for u in users]


def _load(model: Any, row: Any) -> dict[str, Any]:
    columns = model.__table__.columns
    if not isinstance(row, dict) or set(row) - set(columns.keys()):
        raise TransferError(f"a {model.__tablename__} row has columns Core does not know")
    out = {}
    for key, value in row.items():
        kind = columns[key].type
        try:
            if value is not None and isinstance(kind, Uuid):
                value = uuid.UUID(str(value))
            elif value is not None and isinstance(kind, DateTime):
                value = datetime.fromisoformat(str(value))
        except ValueError as exc:
            raise TransferError(f"{model.__tablename__}.{key}: {exc}") from exc
        out[key] = value
    return out


async def _refuse_taken(
    session: AsyncSession, campaign: dict[str, Any], links: list[dict[str, Any]]
) -> None:
    key = campaign.get("external_key")
    taken = Campaign.id == campaign["id"]
    if key:
        taken = or_(taken, Campaign.external_key == key)
    if await session.scalar(select(Campaign.id).where(taken)) is not None:
        raise TransferError(f"Core already holds campaign {campaign['id']} ({key or 'no key'})")
    for link in links:
        if link.get("archived_at") is not None:
            continue
        for name in claims.CLAIMED:
            if link.get(name) and await claims.holder_of(session, name, link[name]) is not None:
                raise TransferError(f"another campaign holds the game link's {name} {link[name]!r}")


async def _merge_users(session: AsyncSession, users: list[dict[str, Any]]) -> dict[Any, Any]:
    """Insert the document's users; map each one the target already knows to its own id."""
    remap: dict[Any, Any] = {}
    for user in users:
        same = User.id == user["id"]
        if user.get("discord_id") is not None:  # never match on a missing Discord id
            same = or_(same, User.discord_id == user["discord_id"])
        existing = await session.scalar(select(User.id).where(same))
        if existing is not None:
            remap[user["id"]] = existing
        else:
            await session.execute(insert(User), [user])
    return remap
