"""The bridge's HTTP app: what VTT browser extensions talk to.

The `/vtt` API (`bridge.api`) is what extensions use: pairing, tokens, the
SSE stream of their games, rolls in every VTT's format, chat and server-side
rolls. The older `/v1/campaigns/{id}` routes stay: they take a standard roll
record and stream a campaign topic, for trusted local tools and the CLI, and
require `Authorization: Bearer <one of settings.service_keys>`.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.cors import CORSMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bridge import metrics
from bridge.api import ROUTES, Services
from bridge.backends import open_backends
from bridge.bus import EventBus, SubscriberLaggingError
from bridge.errors import (
    BridgeAuthError,
    BridgeNotFoundError,
    CoreUnavailableError,
    RequestSchemaError,
)
from bridge.eventstream import StreamingApp
from bridge.fanout import Hub
from bridge.intake import Intake
from bridge.overlay import redact
from bridge.overlay.routes import ROUTES as OVERLAY_ROUTES
from bridge.overlay.routes import OverlayServices
from bridge.overlay.verdicts import CritRuleCache, RulesFetch
from bridge.parse_failures import ParseFailures
from bridge.ratelimit import RateLimiter
from bridge.reports import report_roll
from bridge.settings import BridgeSettings
from bridge.store import MemoryStore, StateStore
from bridge.streams import StreamRegistry, stream_housekeeping
from core_client import CoreClientError, Platform, RecordError, Reporter, RollRecord
from core_client.contract import codec
from core_client.contract.scalars import MAX_ID
from core_client.dice import DEFAULT_LIMITS, Limits
from core_client.web import error_response, exception_handlers, read_json, require_key
from core_client.web.handlers import on_unexpected

log = logging.getLogger(__name__)


def campaign_topic(campaign_id: str) -> str:
    """Return the bus topic of a campaign (the `/v1` routes)."""
    return f"campaign:{campaign_id}"


def _campaign(request: Request) -> str:
    campaign_id: str = request.path_params.get("campaign_id", "")
    if not 1 <= len(campaign_id) <= MAX_ID:
        raise BridgeNotFoundError("the campaign id is empty or too long", code="unknown_campaign")
    return campaign_id


async def post_roll(request: Request) -> Response:
    """Accept a standard roll for a campaign: relay it and report it to Core."""
    s: Services = request.app.state.services
    require_key(request, s.settings.service_keys, BridgeAuthError)
    campaign_id = _campaign(request)
    payload = await read_json(request, s.settings.max_body_bytes)
    if isinstance(payload, dict):
        payload = {"platform": Platform.BRIDGE.value, **payload, "campaign_id": campaign_id}
    try:
        record = codec.decode(payload, RollRecord)
    except RecordError as exc:
        raise RequestSchemaError(exc.problem, field=exc.field, code="invalid_roll") from None
    event = await report_roll(s.reporter, record)
    data = codec.to_builtins(record)
    published = await s.bus.publish(campaign_topic(campaign_id), "roll", data, origin=event.id)
    return JSONResponse({"id": published.id, "roll_id": record.id}, status_code=202)


async def stream(request: Request) -> Response:
    """Stream a campaign's events as SSE, resuming after `Last-Event-ID`."""
    s: Services = request.app.state.services
    require_key(request, s.settings.service_keys, BridgeAuthError)
    last_id = request.headers.get("last-event-id") or None
    if last_id is not None and len(last_id) > MAX_ID:
        raise RequestSchemaError("is too long", field="last_event_id")
    topics = [campaign_topic(_campaign(request))]

    async def events() -> AsyncIterator[ServerSentEvent]:
        async with s.bus.subscribe(
            topics, last_event_id=last_id, queue_size=s.settings.subscriber_queue
        ) as sub:
            # As on /vtt/stream: a fresh stream's first frame carries where it joined.
            position = s.bus.position() if last_id is None else None
            yield ServerSentEvent(comment="connected", retry=s.settings.retry_ms, id=position)
            try:
                async for event in sub:
                    yield ServerSentEvent(data=event.json(), event=event.type, id=event.id)
            except SubscriberLaggingError:
                log.info("SSE client too slow for %s; disconnecting so it resumes", topics)

    return EventSourceResponse(
        events(),
        ping=s.settings.heartbeat_seconds,
        send_timeout=s.settings.send_timeout,
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


async def on_core_unavailable(_request: Request, exc: Exception) -> Response:
    """Answer 503 when Core cannot take a report (e.g. the outbox is full): retry later.

    A `RecordError` is a `CoreClientError` too, but one built by our own code
    from checked input, so it stays a bug: a 500 (see `create_app`).
    """
    log.warning("Core cannot take reports now: %s", exc)
    return error_response(CoreUnavailableError("Core cannot take reports right now; retry later"))


async def health(request: Request) -> JSONResponse:
    """Report that the bridge is up, which bus it runs on and its open streams."""
    return JSONResponse(health_report(request.app))


def health_report(app: Starlette) -> dict[str, object]:
    """Return the bridge app's health (the service's /health extends it)."""
    s: Services = app.state.services
    bus = type(s.bus).__name__
    return {"service": "bridge", "ok": True, "bus": bus, "streams": len(s.streams)}


def _services(
    settings: BridgeSettings,
    reporter: Reporter,
    bus: EventBus,
    store: StateStore,
    dice_limits: Limits,
) -> Services:
    intake = Intake(bus, store, reporter, dice_limits, dedup_seconds=settings.dedup_seconds)
    return Services(
        settings=settings,
        bus=bus,
        store=store,
        reporter=reporter,
        intake=intake,
        limiter=RateLimiter(rate=settings.rate_per_second, burst=settings.rate_burst),
        link_limiter=RateLimiter(
            rate=settings.link_rate_per_second, burst=settings.link_rate_burst
        ),
        streams=StreamRegistry(),
        parse_failures=ParseFailures(),
        hub=Hub(bus, window=settings.stream_window),
    )


def close_streams(app: Starlette) -> int:
    """End every open `/vtt` stream now, so a server shutting down drains at once.

    Call it just before telling uvicorn to exit: uvicorn waits for open
    connections before it runs the lifespan shutdown, so the app cannot see
    the shutdown coming by itself. Clients reconnect to another instance.
    """
    services: Services | None = getattr(app.state, "services", None)
    return services.streams.close_all() if services is not None else 0


def create_app(
    settings: BridgeSettings,
    *,
    reporter: Reporter,
    bus: EventBus | None = None,
    store: StateStore | None = None,
    dice_limits: Limits = DEFAULT_LIMITS,
    crit_rules: RulesFetch | None = None,
) -> Starlette:
    """Build the bridge's app; without a bus and store it opens the configured ones.

    `crit_rules` fetches a campaign's crit rules from Core, for the overlay's
    verdicts; without it the overlay shows each roll's own.
    """

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        async with contextlib.AsyncExitStack() as stack:
            if bus is None:
                owned = await stack.enter_async_context(open_backends(settings))
                the_bus, the_store = owned.bus, store or owned.store
            else:
                # A bus handed in without a store: this process owns the state.
                the_bus, the_store = bus, store or MemoryStore()
            services = _services(settings, reporter, the_bus, the_store, dice_limits)
            app.state.services = services
            await stack.enter_async_context(
                stream_housekeeping(the_bus, services.streams, settings.heartbeat_seconds)
            )
            yield

    app = StreamingApp(
        routes=[
            Route("/health", health, methods=["GET"]),
            Route("/metrics", metrics.serve, methods=["GET"]),
            Route("/v1/campaigns/{campaign_id}/rolls", post_roll, methods=["POST"]),
            Route("/v1/campaigns/{campaign_id}/events", stream, methods=["GET"]),
            *ROUTES,
            *OVERLAY_ROUTES,
        ],
        middleware=[
            Middleware(
                CORSMiddleware,
                allow_origins=list(settings.cors_origins),
                allow_methods=["GET", "POST", "DELETE"],
                allow_headers=["Authorization", "Content-Type", "Last-Event-ID"],
                expose_headers=["Retry-After"],
                max_age=600,
            )
        ],
        lifespan=lifespan,
        exception_handlers=exception_handlers(
            {CoreClientError: on_core_unavailable, RecordError: on_unexpected}
        ),
    )
    app.state.metrics = metrics.registry_for(app)  # per app: never the global registry
    app.state.overlay = OverlayServices(CritRuleCache(crit_rules))
    redact.install()  # overlay keys stand in URLs: keep them out of access logs
    return app
