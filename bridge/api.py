"""The `/vtt` HTTP API that browser extensions use (documented in docs/bridge-openapi.yaml).

Routes only parse: the body through `core_client.web` and `bridge.schemas`,
credentials through `core_client.web` and `bridge.tokens`, then they call the
domain (`links`, `intake`, `tickets`, `streams`) with plain values and shape
its answer as JSON.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bridge import lease, links, schemas
from bridge.bus import EventBus
from bridge.errors import BridgeAuthError, RequestSchemaError, UnavailableError
from bridge.eventstream import LiveStream
from bridge.fanout import Hub
from bridge.intake import Intake, ItemResult, check_game
from bridge.parse_failures import ParseFailures
from bridge.ratelimit import RateLimiter
from bridge.settings import BridgeSettings
from bridge.store import StateStore
from bridge.streams import StreamRegistry, open_live
from bridge.tickets import issue_ticket, redeem_ticket
from bridge.tokens import Grant, authenticate, digest
from core_client import Reporter
from core_client.contract import codec
from core_client.web import bearer_token, read_json

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Services:
    """What the routes need, built once per app."""

    settings: BridgeSettings
    bus: EventBus
    store: StateStore
    reporter: Reporter
    intake: Intake
    limiter: RateLimiter
    link_limiter: RateLimiter
    streams: StreamRegistry
    parse_failures: ParseFailures
    hub: Hub


def _services(request: Request) -> Services:
    services: Services = request.app.state.services
    return services


async def _authorised(request: Request, services: Services) -> tuple[str, Grant]:
    """Authenticate the bearer token and charge its rate limit."""
    token = bearer_token(request, BridgeAuthError, missing_code="missing_token")
    grant = await authenticate(services.store, token)
    services.limiter.take(grant.token_id)
    return token, grant


async def post_link(request: Request) -> Response:
    """Exchange a pairing code for a token."""
    s = _services(request)
    s.link_limiter.take(client_key(request))
    req = schemas.link_request(await read_json(request, s.settings.max_body_bytes))
    token, grant = await links.link(
        s.store,
        s.bus,
        s.reporter,
        code=req.code,
        platform=req.platform.value,
        player_id=req.player_id,
    )
    body = {"token": token, "token_type": "Bearer", **_grant_json(grant)}
    return JSONResponse(body, status_code=201, headers={"Cache-Control": "no-store"})


async def delete_link(request: Request) -> Response:
    """Revoke the presented token (the extension unlinking itself)."""
    s = _services(request)
    token, grant = await _authorised(request, s)
    await links.unlink_token(s.store, s.bus, s.reporter, digest(token))
    return JSONResponse({"revoked": True, "token_id": grant.token_id})


async def get_me(request: Request) -> Response:
    """Describe what the presented token may do."""
    s = _services(request)
    _, grant = await _authorised(request, s)
    return JSONResponse(_grant_json(grant))


async def post_stream_ticket(request: Request) -> Response:
    """Trade the bearer token for a short-lived, single-use stream ticket."""
    s = _services(request)
    token, _ = await _authorised(request, s)
    ticket = await issue_ticket(s.store, token, s.settings.stream_ticket_seconds)
    body = {
        "ticket": ticket,
        "expires_in": s.settings.stream_ticket_seconds,
        "stream_url": f"/vtt/stream?ticket={ticket}",
    }
    return JSONResponse(body, status_code=201, headers={"Cache-Control": "no-store"})


async def get_stream(request: Request) -> Response | LiveStream:
    """Stream the token's games as SSE, resuming after `Last-Event-ID`."""
    s = _services(request)
    if s.streams.closing:
        raise UnavailableError("the bridge is shutting down; reconnect in a moment")
    if {"token", "access_token"} & set(request.query_params):
        raise RequestSchemaError(
            "a token must never be put in a URL; get a stream ticket",
            field="token",
            code="token_in_url",
        )
    ticket = request.query_params.get("ticket")
    if ticket is not None:
        _, grant = await redeem_ticket(s.store, ticket)
    elif "authorization" in request.headers:
        _, grant = await _authorised(request, s)
    else:
        raise BridgeAuthError(
            "open the stream with ?ticket= from POST /vtt/stream-tickets", code="missing_ticket"
        )
    # Registered and tapped now, so a token over its stream limit gets a JSON 429.
    return await open_live(
        s.hub,
        s.bus,
        s.streams,
        grant,
        last_event_id=_last_event_id(request),
        retry_ms=s.settings.retry_ms,
        send_timeout=s.settings.send_timeout,
        max_streams=s.settings.max_streams_per_token,
    )


async def post_rolls(request: Request) -> Response:
    """Accept rolls in a VTT's own format, one or a batch; answer per item."""
    s = _services(request)
    _, grant = await _authorised(request, s)
    body = await read_json(request, s.settings.max_body_bytes)
    req = schemas.rolls_request(body, s.settings.max_batch)
    results = await s.intake.post_rolls(grant, req)
    return _results(results, single=not req.batch)


async def post_chat(request: Request) -> Response:
    """Accept a chat message from the VTT."""
    s = _services(request)
    _, grant = await _authorised(request, s)
    req = schemas.chat_request(await read_json(request, s.settings.max_body_bytes))
    return _results([await s.intake.post_chat(grant, req)], single=True)


async def post_server_roll(request: Request) -> Response:
    """Roll notation with the bridge's engine (authoritative) and relay it."""
    s = _services(request)
    _, grant = await _authorised(request, s)
    req = schemas.server_roll_request(await read_json(request, s.settings.max_body_bytes))
    result = await s.intake.server_roll(grant, req)
    return JSONResponse(result.events[0], status_code=201)


async def post_inject_lease(request: Request) -> Response:
    """Take or renew the game's inject lease, or learn who holds it."""
    s = _services(request)
    _, grant = await _authorised(request, s)
    req = schemas.inject_lease_request(await read_json(request, s.settings.max_body_bytes))
    check_game(grant, req.game_id)
    held = await lease.claim(
        s.store, grant, req.game_id, req.client_id, s.settings.inject_lease_seconds
    )
    return JSONResponse(codec.to_builtins(held), headers={"Cache-Control": "no-store"})


async def delete_inject_lease(request: Request) -> Response:
    """Give the game's inject lease up, so the next asker gets it at once."""
    s = _services(request)
    _, grant = await _authorised(request, s)
    req = schemas.inject_lease_request(await read_json(request, s.settings.max_body_bytes))
    check_game(grant, req.game_id)
    released = await lease.release(s.store, grant, req.game_id, req.client_id)
    return JSONResponse({"released": released})


async def post_parse_failure(request: Request) -> Response:
    """Count an extension's report that its VTT's page no longer parses."""
    s = _services(request)
    _, grant = await _authorised(request, s)
    req = schemas.parse_failure_request(await read_json(request, s.settings.max_body_bytes))
    if req.game_id is not None:
        check_game(grant, req.game_id)
    s.parse_failures.report(grant, req)
    return JSONResponse({"counted": True}, status_code=202)


def client_key(request: Request) -> str:
    """Return the caller's address, for limits on unauthenticated routes."""
    return request.client.host if request.client else "unknown"


def _last_event_id(request: Request) -> str | None:
    """Return where to resume: the header, or the query for a new EventSource."""
    # A browser sends Last-Event-ID only on its own reconnects, which reuse a
    # spent ticket; an extension opening a fresh EventSource passes it here.
    value = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if value is not None and len(value) > schemas.MAX_ID:
        raise RequestSchemaError("is too long", field="last_event_id")
    return value or None


def _results(results: list[ItemResult], *, single: bool) -> JSONResponse:
    statuses = {r.status for r in results}
    body: dict[str, object] = {"results": codec.to_builtins(results)}
    if statuses == {"rejected"}:
        if single and results[0].error is not None:
            body["error"] = results[0].error
        return JSONResponse(body, status_code=422)
    return JSONResponse(body, status_code=202 if "accepted" in statuses else 200)


def _grant_json(grant: Grant) -> dict[str, object]:
    return {
        "token_id": grant.token_id,
        "user_id": grant.user_id,
        "user_name": grant.user_name,
        "campaign_id": grant.campaign_id,
        "games": list(grant.games),
        "gm": grant.gm,
        "platform": grant.platform,
        "player_id": grant.player_id,
    }


ROUTES = [
    Route("/vtt/accounts/link", post_link, methods=["POST"]),
    Route("/vtt/accounts/link", delete_link, methods=["DELETE"]),
    Route("/vtt/accounts/me", get_me, methods=["GET"]),
    Route("/vtt/stream-tickets", post_stream_ticket, methods=["POST"]),
    Route("/vtt/stream", get_stream, methods=["GET"]),
    Route("/vtt/rolls", post_rolls, methods=["POST"]),
    Route("/vtt/chat", post_chat, methods=["POST"]),
    Route("/vtt/roll", post_server_roll, methods=["POST"]),
    Route("/vtt/inject-lease", post_inject_lease, methods=["POST"]),
    Route("/vtt/inject-lease", delete_inject_lease, methods=["DELETE"]),
    Route("/vtt/parse-failures", post_parse_failure, methods=["POST"]),
]
