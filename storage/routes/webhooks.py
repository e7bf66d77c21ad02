"""The signed webhook endpoint and the health check."""

from __future__ import annotations

import logging
from typing import Any

from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import async_sessionmaker
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from core_client import signing
from core_client.contract.answers import HealthReport
from core_client.errors import RecordError, SignatureError
from core_client.web import HttpError, json_response, read_bytes, require_json
from storage import db, ingest
from storage.errors import DeliveryRefusedError, RequestError
from storage.metrics import CoreMetrics
from storage.metrics import serve as serve_metrics
from storage.settings import CoreSettings
from storage.views import shaped

log = logging.getLogger(__name__)


async def webhooks(request: Request) -> Response:
    """Verify a signed delivery; store its valid events once each, refuse the others."""
    metrics: CoreMetrics = request.app.state.metrics
    try:
        return await _webhooks(request, metrics)
    except HttpError as exc:  # a refusal, rendered by the app's one handler
        metrics.deliveries.labels(_OUTCOMES.get(exc.status, str(exc.status))).inc()
        raise


# A refused delivery's status names its outcome: each status has one cause here.
_OUTCOMES = {
    401: "bad_signature",
    413: "body_too_large",
    422: "invalid_body",
    503: "storage_unavailable",
}


async def _webhooks(request: Request, metrics: CoreMetrics) -> Response:
    settings: CoreSettings = request.app.state.settings
    require_json(request)
    # Raw bytes: the signature covers exactly what was sent.
    body = await read_bytes(request, settings.max_body_bytes)
    try:
        signing.verify(
            request.app.state.signing_keys,
            request.headers,
            body,
            tolerance=settings.timestamp_tolerance,
        )
    except SignatureError as exc:
        raise RequestError(str(exc), status=401, code="bad_signature") from exc
    cipher = request.app.state.cipher
    try:
        checked = ingest.check_body(body, cipher)
    except RecordError as exc:
        raise RequestError(exc.problem, status=422, code="invalid_body", field=exc.field) from exc
    if not checked.items:
        metrics.refused(checked.refused)
        raise DeliveryRefusedError(checked.refused)
    sessions: async_sessionmaker[Any] = request.app.state.sessions
    try:
        with metrics.ingest_seconds.time():
            receipt = await ingest.store_checked(sessions, checked, cipher)
    except SQLAlchemyError:
        log.exception("storing a delivery failed")
        raise RequestError(
            "Core could not store the delivery; retry later",
            status=503,
            code="storage_unavailable",
        ) from None
    metrics.stored(receipt)
    return json_response(receipt, 200)


async def health(request: Request) -> JSONResponse:
    """Report database reachability and migration status."""
    report = shaped(HealthReport, {"service": "core", **await db.check(request.app.state.engine)})
    return JSONResponse(report, status_code=200 if report["ok"] else 503)


ROUTES = [
    Route("/health", health, methods=["GET"]),
    Route("/metrics", serve_metrics, methods=["GET"]),
    Route("/webhooks", webhooks, methods=["POST"]),
]
