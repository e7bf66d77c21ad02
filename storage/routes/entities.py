"""Routes for the mutable entities inside a campaign: characters, game links, sessions.

Each is created under its campaign (`POST /campaigns/{id}/characters`) and
read or updated by its own id (`PATCH /characters/{id}` with the version the
caller saw). Everything is invisible (404) to keys without the campaign.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Mapping
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core_client.contract import Platform
from core_client.contract.answers import GameLinkList, SessionList
from core_client.contract.writes import (
    CharacterPatch,
    GameLinkFields,
    GameLinkPatch,
    NewCharacter,
    NoteInput,
    SessionFields,
    SessionPatch,
)
from storage import claims, summaries, writes
from storage.handlers.users import upsert_user
from storage.models import Character, GameLink, GameSession, utcnow
from storage.resolve import parse_uuid
from storage.routes.guard import caller, campaign_or_404, checked_body, entity_or_404
from storage.routes.responses import not_found, page_size, path_id
from storage.views import shaped, view

# The declared body of each entity's create and patch.
BODIES: dict[type, tuple[type[Mapping[str, Any]], type[Mapping[str, Any]]]] = {
    Character: (NewCharacter, CharacterPatch),
    GameLink: (GameLinkFields, GameLinkPatch),
    GameSession: (SessionFields, SessionPatch),
}
DEFAULTS: dict[type, dict[str, Any]] = {
    Character: {"source_platform": Platform.DISCORD.value, "stats": {}},
    GameLink: {"sync_chat": True, "sync_rolls": True},
    GameSession: {"participants": [], "notes": []},
}


def _creator(model: type) -> Callable[[Request], Any]:
    async def create(request: Request) -> JSONResponse:
        body = await checked_body(request)
        values = DEFAULTS[model] | writes.read(body, BODIES[model][0]).values
        if model is GameSession and values.get("started_at") is None:
            values["started_at"] = utcnow()
        async with caller(request) as (session, principal):
            campaign = await campaign_or_404(session, principal, path_id(request))
            await _resolve_owner(session, values)
            obj = model(id=uuid.uuid4(), campaign_id=campaign.id)
            if model is Character:
                values = summaries.with_summary(obj, values)
            obj = await writes.create(session, obj, values)
            if model is GameLink:
                await claims.check(session, obj)
            out = view(obj)
        return JSONResponse(out, status_code=201)

    create.__doc__ = f"Create a {model.__name__} in a campaign."
    return create


def _reader(model: type, what: str) -> Callable[[Request], Any]:
    async def read(request: Request) -> JSONResponse:
        async with caller(request) as (session, principal):
            return JSONResponse(
                view(await entity_or_404(session, principal, model, path_id(request), what))
            )

    read.__doc__ = f"Return one {what}."
    return read


def _patcher(model: type, what: str) -> Callable[[Request], Any]:
    async def patch(request: Request) -> JSONResponse:
        write = writes.read(await checked_body(request), BODIES[model][1])
        values = write.values
        async with caller(request) as (session, principal):
            obj = await entity_or_404(session, principal, model, path_id(request), what)
            await _resolve_owner(session, values)
            if write.note is not None:
                values["notes"] = [*obj.notes, _note(write.note)]
            if model is Character:
                values = summaries.with_summary(obj, values)
            await writes.update(session, obj, write.version or 0, values, write.archived)
            if model is GameLink:
                await claims.check(session, obj)
            out = view(obj)
        return JSONResponse(out)

    patch.__doc__ = f"Update a {what} at the version the caller saw."
    return patch


async def _resolve_owner(session: AsyncSession, values: dict[str, Any]) -> None:
    """Turn a Discord id given for a character's owner into the owner's user row."""
    if "owner_discord_id" not in values:
        return
    discord_id = values.pop("owner_discord_id")
    user = None if discord_id is None else await upsert_user(session, discord_id, None)
    values["owner_user_id"] = user.id if user is not None else None


async def list_game_links(request: Request) -> JSONResponse:
    """List live game links the caller sees, by Discord channel or campaign."""
    params = request.query_params
    async with caller(request) as (session, principal):
        query = select(GameLink).where(
            principal.where(GameLink.campaign_id), GameLink.archived_at.is_(None)
        )
        if channel := params.get("discord_channel_id"):
            query = query.where(GameLink.discord_channel_id == channel)
        if campaign := params.get("campaign_id"):
            campaign_id = parse_uuid(campaign)
            if campaign_id is None:
                raise not_found("campaign")
            found = await campaign_or_404(session, principal, campaign_id)
            query = query.where(GameLink.campaign_id == found.id)
        rows = (await session.scalars(query.order_by(GameLink.created_at).limit(500))).all()
        return JSONResponse(shaped(GameLinkList, {"game_links": [view(g) for g in rows]}))


async def list_sessions(request: Request) -> JSONResponse:
    """List a campaign's sessions, newest first."""
    limit = page_size(request, default=10, maximum=100)
    async with caller(request) as (session, principal):
        campaign = await campaign_or_404(session, principal, path_id(request))
        query = (
            select(GameSession)
            .where(GameSession.campaign_id == campaign.id, GameSession.archived_at.is_(None))
            .order_by(GameSession.started_at.desc())
            .limit(limit)
        )
        rows = (await session.scalars(query)).all()
        return JSONResponse(shaped(SessionList, {"sessions": [view(s) for s in rows]}))


def _note(note: NoteInput) -> dict[str, Any]:
    return {"at": utcnow().isoformat(), "author": note.get("author"), "text": note["text"]}


ROUTES = [
    Route(
        "/campaigns/{id}/characters",
        _creator(Character),
        methods=["POST"],
    ),
    Route("/characters/{id}", _reader(Character, "character"), methods=["GET"]),
    Route("/characters/{id}", _patcher(Character, "character"), methods=["PATCH"]),
    Route("/campaigns/{id}/game-links", _creator(GameLink), methods=["POST"]),
    Route("/game-links", list_game_links, methods=["GET"]),
    Route("/game-links/{id}", _reader(GameLink, "game link"), methods=["GET"]),
    Route("/game-links/{id}", _patcher(GameLink, "game link"), methods=["PATCH"]),
    Route("/campaigns/{id}/sessions", _creator(GameSession), methods=["POST"]),
    Route("/campaigns/{id}/sessions", list_sessions, methods=["GET"]),
    Route("/sessions/{id}", _reader(GameSession, "session"), methods=["GET"]),
    Route("/sessions/{id}", _patcher(GameSession, "session"), methods=["PATCH"]),
]
