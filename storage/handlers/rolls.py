"""roll.recorded and chat.message: high-volume facts, inserted in bulk.

Each batch resolves its campaigns, users, characters and open sessions with
a handful of queries, applies the campaigns' crit rules, then inserts every
row in one statement that skips idempotency keys already stored.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from core_client.contract import ChatMessage, Platform, RollRecord
from core_client.ids import ordered_uuid
from storage import bulk, critrules, pgtallies, tallies
from storage.handlers.context import Ingest, Item, insert_ignoring, moment
from storage.handlers.users import ensure_discord_users
from storage.models import ChatMessage as ChatRow
from storage.models import Roll, utcnow

log = logging.getLogger(__name__)

# Crit verdicts across deliveries: a table's dice results repeat (storage.critrules).
JUDGED = critrules.Judged()


async def _campaigns(ctx: Ingest, records: Sequence[RollRecord]) -> dict[str, uuid.UUID | None]:
    by_key = await ctx.resolver.campaigns(r.campaign_id for r in records)
    unresolved_games = {r.game_id for r in records if r.game_id and by_key[r.campaign_id] is None}
    games = await ctx.resolver.games(unresolved_games) if unresolved_games else {}
    return {
        r.id: by_key[r.campaign_id] or (games.get(r.game_id) if r.game_id else None)
        for r in records
    }


async def _users(ctx: Ingest, records: Sequence[RollRecord]) -> dict[str, uuid.UUID]:
    discord = {r.actor_id for r in records if r.platform is Platform.DISCORD and r.actor_id}
    by_discord = await ensure_discord_users(ctx, discord, {})
    vtt = {
        (r.platform.value, r.actor_id)
        for r in records
        if r.actor_id and r.platform is not Platform.DISCORD
    }
    by_vtt = await ctx.resolver.users_by_vtt(vtt)
    out = {}
    for r in records:
        if r.actor_id is None:
            continue
        found = (
            by_discord.get(r.actor_id)
            if r.platform is Platform.DISCORD
            else by_vtt.get((r.platform.value, r.actor_id))
        )
        if found is not None:
            out[r.id] = found
    return out


@dataclass(frozen=True, slots=True)
class _Links:
    """What a batch of rolls resolved to, keyed by roll record id."""

    campaigns: dict[str, uuid.UUID | None]
    users: dict[str, uuid.UUID]
    characters: dict[tuple[uuid.UUID, str], uuid.UUID]
    character_campaigns: dict[str, uuid.UUID | None]
    sessions: dict[uuid.UUID, uuid.UUID]
    rules: dict[uuid.UUID | None, list[critrules.Rule]]
    # Each campaign's rules numbered once per batch, for `JUDGED`.
    rulesets: dict[uuid.UUID | None, int] = field(default_factory=dict)
    # One moment for the batch's created_at and updated_at: converted once per batch.
    now: datetime = field(default_factory=utcnow)

    def verdict(self, campaign: uuid.UUID | None, record: RollRecord) -> critrules.Verdict:
        """Return the crit rules' verdict on a roll of `campaign`."""
        rules = self.rules[campaign]
        ruleset = self.rulesets.get(campaign)
        if ruleset is None:
            ruleset = self.rulesets[campaign] = JUDGED.ruleset(rules)
        return JUDGED.verdict(ruleset, rules, record.groups)


async def _resolve(ctx: Ingest, records: Sequence[RollRecord]) -> _Links:
    campaigns = await _campaigns(ctx, records)
    known = {c for c in campaigns.values() if c is not None}
    pairs = {(c, r.character_name) for r in records if (c := campaigns[r.id]) and r.character_name}
    return _Links(
        campaigns=campaigns,
        users=await _users(ctx, records),
        characters=await ctx.resolver.characters(pairs),
        character_campaigns=await ctx.resolver.character_campaigns(
            r.character_id for r in records if r.character_id
        ),
        sessions=await ctx.resolver.open_sessions(known),
        rules=await ctx.resolver.rules(known),
    )


def _linked_row(record: RollRecord, occurred_at: float, links: _Links) -> dict[str, Any]:
    campaign = links.campaigns[record.id]
    row = roll_row(record, occurred_at, links.now)
    crit, fumble, crit_type = links.verdict(campaign, record)
    row.update(
        campaign_id=campaign,
        user_id=links.users.get(record.id),
        character_id=_character(record, campaign, links),
        session_id=links.sessions.get(campaign) if campaign else None,
        crit=record.crit or crit,
        fumble=record.fumble or fumble,
        crit_type=crit_type,
    )
    return row


def _character(record: RollRecord, campaign: uuid.UUID | None, links: _Links) -> uuid.UUID | None:
    """Return the roll's character: its id if it is of the roll's campaign, else by name."""
    if campaign is None:
        return None
    # An id from another campaign (or a stale one) must not tie the roll to
    # someone else's table; the name still may, within this campaign.
    if record.character_id and links.character_campaigns.get(record.character_id) == campaign:
        return uuid.UUID(record.character_id)
    if record.character_name:
        return links.characters.get((campaign, record.character_name))
    return None


async def store_rolls(ctx: Ingest, items: Sequence[Item]) -> None:
    """Insert a run of roll.recorded events, linked to what they name, and tally them."""
    pairs = [(e, p) for e, p in items if isinstance(p, RollRecord)]
    links = await _resolve(ctx, [p for _, p in pairs])
    rows: dict[str, dict[str, Any]] = {}
    for event, record in pairs:  # a record id twice in one batch: the first one counts
        if record.id not in rows:
            rows[record.id] = _linked_row(record, event.occurred_at, links)
    ordered = [rows[key] for key in sorted(rows)]  # in key order, as the claims: no deadlock
    if pgtallies.applies(ctx.session, ordered):  # counted by the database, in one statement
        await pgtallies.insert_counted(ctx.session, ordered)
        return
    inserted = await bulk.insert(
        ctx.session,
        Roll.__table__,
        ordered,
        conflict=["idempotency_key"],
        returning="idempotency_key",
    )
    # Only the rolls the database inserted are counted: a roll stored before
    # (same idempotency key, another event id) must not be counted twice.
    await tallies.record(ctx.session, [rows[key] for key in inserted], rolled=True)


def roll_row(record: RollRecord, occurred_at: float, now: datetime | None = None) -> dict[str, Any]:
    """Return the rolls-table row of a record, before resolution (stored at `now`)."""
    now = now or utcnow()
    return {
        "id": ordered_uuid(),
        "idempotency_key": record.id,
        "platform": record.platform.value,
        "source_message_id": record.source_message_id,
        "campaign_key": record.campaign_id,
        "game_id": record.game_id,
        "actor_id": record.actor_id,
        "actor_name": record.actor_name,
        "character_name": record.character_name,
        "formula": record.formula,
        "total": float(record.total),
        "label": record.label,
        "visibility": record.visibility.value,
        "crit": record.crit,
        "fumble": record.fumble,
        "crit_type": None,
        # The record's own groups: the JSON column encodes them (msgspec) as it
        # would their plain form, which is built only where it is read.
        "groups": record.groups,
        "raw": record.raw,
        "rolled_at": datetime.fromtimestamp(occurred_at, UTC),
        "created_at": now,
        "updated_at": now,
        "campaign_id": None,
        "session_id": None,
        "user_id": None,
        "character_id": None,
    }


async def store_chat(ctx: Ingest, items: Sequence[Item]) -> None:
    """Insert a run of chat.message events."""
    messages = [(e, p) for e, p in items if isinstance(p, ChatMessage)]
    campaigns = await ctx.resolver.campaigns(p.campaign_id for _, p in messages)
    now = utcnow()
    rows = [
        {
            "id": ordered_uuid(),
            "idempotency_key": e.id,
            "campaign_key": p.campaign_id,
            "campaign_id": campaigns[p.campaign_id],
            "platform": p.platform.value,
            "channel_id": p.channel_id,
            "author_id": p.author_id,
            "author_name": p.author_name,
            "text": p.text,
            "sent_at": moment(e),
            "created_at": now,
            "updated_at": now,
        }
        for e, p in messages
    ]
    await ctx.session.execute(
        insert_ignoring(ctx.session, ChatRow.__table__, ["idempotency_key"]), rows
    )
