"""The overlay's HTTP routes: the page, its two static files, the feed and a status.

`GET /overlay/{key}` answers the page only for a live key, with a strict
Content-Security-Policy (its own script and style, connections to itself,
nothing inline), `no-store` and `no-referrer`, so the key in the address
never travels in a `Referer` header. The page's files live in
`bridge/web/overlay/` and ship as package data. Every other route of the
bridge refuses an overlay key: it is not a bearer token, nor a service key.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from importlib import resources

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bridge.api import Services
from bridge.errors import BridgeNotFoundError, RequestSchemaError, UnavailableError
from bridge.eventstream import EventStream
from bridge.overlay.feed import overlay_stream
from bridge.overlay.keys import OverlayKey, authenticate_overlay
from bridge.overlay.verdicts import CritRuleCache
from core_client.contract.scalars import MAX_ID

log = logging.getLogger(__name__)

CSP = (
    "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
    "img-src 'self' data:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'"
)
HEADERS = {
    "Content-Security-Policy": CSP,
    "Cache-Control": "no-store",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
}
ASSETS = {"overlay.css": "text/css", "overlay.js": "text/javascript"}


@dataclass(frozen=True, slots=True)
class OverlayServices:
    """What the overlay adds to the bridge's services: the crit rules it judges by."""

    rules: CritRuleCache


def _read(name: str) -> bytes:
    return resources.files("bridge").joinpath("web", "overlay", name).read_bytes()


async def _key(request: Request) -> tuple[Services, OverlayKey]:
    s: Services = request.app.state.services
    # No rate limit: 256 random bits are not guessed, and OBS reconnects often.
    key = await authenticate_overlay(s.store, request.path_params["key"])
    return s, key


async def page(request: Request) -> Response:
    """Serve the overlay page for a live key."""
    await _key(request)
    return Response(_read("overlay.html"), media_type="text/html", headers=HEADERS)


async def asset(request: Request) -> Response:
    """Serve the page's stylesheet or script (public: they hold no key)."""
    name = request.path_params["name"]
    media_type = ASSETS.get(name)
    if media_type is None:
        raise BridgeNotFoundError("no such overlay file", code="not_found")
    return Response(_read(name), media_type=media_type, headers=HEADERS)


async def status(request: Request) -> Response:
    """Say whether a key is live: the page asks when its feed was refused."""
    _, key = await _key(request)
    body = {"live": True, "key_id": key.key_id, "games": len(key.games)}
    return JSONResponse(body, headers=HEADERS)


async def events(request: Request) -> Response:
    """Stream a key's campaign rolls as SSE, resuming after `Last-Event-ID`."""
    s, key = await _key(request)
    if s.streams.closing:
        raise UnavailableError("the bridge is shutting down; reconnect in a moment")
    overlay: OverlayServices = request.app.state.overlay
    frames = overlay_stream(
        s.bus,
        s.streams,
        key,
        overlay.rules,
        last_event_id=_last_event_id(request),
        queue_size=s.settings.subscriber_queue,
        retry_ms=s.settings.retry_ms,
        heartbeat_ms=int(s.settings.heartbeat_seconds * 1000),
        max_streams=s.settings.max_streams_per_token,
    )
    try:
        first = await anext(frames)  # subscribed and registered: a 429 is still JSON
    except StopAsyncIteration:
        first = b""
    headers = {"Referrer-Policy": "no-referrer"}
    return EventStream(frames, send_timeout=s.settings.send_timeout, first=first, headers=headers)


def _last_event_id(request: Request) -> str | None:
    # The page passes its last id in the query when its watchdog opens a new
    # EventSource; the browser's own reconnects send the header.
    value = request.headers.get("last-event-id") or request.query_params.get("last_event_id")
    if value is not None and len(value) > MAX_ID:
        raise RequestSchemaError("is too long", field="last_event_id")
    return value or None


ROUTES = [
    Route("/overlay/assets/{name}", asset, methods=["GET"]),
    Route("/overlay/{key}", page, methods=["GET"]),
    Route("/overlay/{key}/status", status, methods=["GET"]),
    Route("/overlay/{key}/events", events, methods=["GET"]),
]
