"""The signed webhook endpoint and the health check."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

from core_client import signing
from core_client.errors import RecordError, SignatureError
from core_client.events import split_delivery
from core_client.receipts import RefusedEvent
from storage import db, ingest
from storage.metrics import CoreMetrics
from storage.metrics import serve as serve_metrics
from storage.routes.responses import BodyTooLargeError, error, read_body
from storage.settings import CoreSettings

log = logging.getLogger(__name__)


async def webhooks(request: Request) -> JSONResponse:
    """Verify a signed delivery; store its valid events once each, refuse the others."""
    metrics: CoreMetrics = request.app.state.metrics
    response = await _webhooks(request, metrics)
    if response.status_code != 200:
        outcome = _OUTCOMES.get(response.status_code, str(response.status_code))
        metrics.deliveries.labels(outcome).inc()
    return response


# A refused delivery's status names its outcome: each status has one cause here.
_OUTCOMES = {
    401: "bad_signature",
    413: "body_too_large",
    422: "invalid_body",
    503: "storage_unavailable",
}


async def _webhooks(request: Request, metrics: CoreMetrics) -> JSONResponse:
    settings: CoreSettings = request.app.state.settings
    try:
        body = await read_body(request, settings.max_body_bytes)
    except BodyTooLargeError:
        return error(413, "body_too_large", f"the body is over {settings.max_body_bytes} bytes")
    try:
        signing.verify(
            request.app.state.signing_keys,
            request.headers,
            body,
            tolerance=settings.timestamp_tolerance,
        )
    except SignatureError as exc:
        return error(401, "bad_signature", str(exc))
    cipher = request.app.state.cipher
    try:
        checked = ingest.check(split_delivery(body), cipher)
    except RecordError as exc:
        return error(422, "invalid_body", str(exc), field=exc.field)
    if not checked.items:
        metrics.refused(checked.refused)
        return _all_refused(checked.refused)
    sessions: async_sessionmaker[Any] = request.app.state.sessions
    try:
        with metrics.ingest_seconds.time():
            receipt = await ingest.store_checked(sessions, checked, cipher)
    except SQLAlchemyError:
        log.exception("storing a delivery failed")
        return error(503, "storage_unavailable", "Core could not store the delivery; retry later")
    metrics.stored(receipt)
    return JSONResponse(receipt.to_dict())


def _all_refused(refused: list[RefusedEvent]) -> JSONResponse:
    """Refuse a delivery none of whose events is valid, naming each one's field."""
    first = refused[0]
    return error(
        422,
        "invalid_body",
        f"{first.field}: {first.reason}",
        field=first.field,
        refused=[r.to_dict() for r in refused],
    )


async def health(request: Request) -> JSONResponse:
    """Report database reachability and migration status."""
    report = await db.check(request.app.state.engine)
    return JSONResponse({"service": "core", **report}, status_code=200 if report["ok"] else 503)


ROUTES = [
    Route("/health", health, methods=["GET"]),
    Route("/metrics", serve_metrics, methods=["GET"]),
    Route("/webhooks", webhooks, methods=["POST"]),
]
