"""session.started, session.ended and session.note.

Sessions are named by the sender's key. An end or a note for a session Core
never saw started creates it (campaign unknown), so nothing is lost when a
start event was refused or reported elsewhere.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence

from sqlalchemy import select

from core_client.contract import Event, SessionEnded, SessionNote, SessionStarted
from storage import changes
from storage.handlers.campaigns import campaign_for
from storage.handlers.context import Ingest, Item, moment
from storage.models import GameSession


async def _session(ctx: Ingest, key: str, event: Event) -> GameSession:
    found = await ctx.session.scalar(select(GameSession).where(GameSession.external_key == key))
    if found is not None:
        return found
    return GameSession(
        id=uuid.uuid4(), external_key=key, started_at=moment(event), participants=[], notes=[]
    )


async def store_sessions(ctx: Ingest, items: Sequence[Item]) -> None:
    """Apply a run of session events in order."""
    for event, p in items:
        if isinstance(p, SessionStarted):
            await _started(ctx, event, p)
        elif isinstance(p, SessionEnded):
            session = await _session(ctx, p.session_id, event)
            session.ended_at = moment(event, p.ended_at)
            await changes.save(ctx.session, session, "end")
        elif isinstance(p, SessionNote):
            session = await _session(ctx, p.session_id, event)
            note = {
                "at": moment(event).isoformat(),
                "author": p.author,
                "text": p.text,
                "event_id": event.id,
            }
            session.notes = [*session.notes, note]  # a new list, so the ORM sees the change
            await changes.save(ctx.session, session, "note")


async def _started(ctx: Ingest, event: Event, p: SessionStarted) -> None:
    session = await _session(ctx, p.session_id, event)
    campaign = await campaign_for(ctx, p.campaign_id)
    session.campaign_id = campaign.id
    session.campaign_key = p.campaign_id
    session.title = p.title
    session.started_at = moment(event, p.started_at)
    session.participants = list(dict.fromkeys([*session.participants, *p.participants]))
    await changes.save(ctx.session, session, "start")
