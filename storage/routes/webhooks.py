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
from core_client.contract.events import decode_delivery
from core_client.errors import RecordError, SignatureError
from storage import db, ingest
from storage.routes.responses import BodyTooLargeError, error, read_body
from storage.settings import CoreSettings

log = logging.getLogger(__name__)


async def webhooks(request: Request) -> JSONResponse:
    """Verify a signed delivery and store its events once each."""
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
        events = decode_delivery(body)
        items = ingest.parse(events, cipher)
    except RecordError as exc:
        return error(422, "invalid_body", str(exc), field=exc.field)
    sessions: async_sessionmaker[Any] = request.app.state.sessions
    try:
        async with sessions.begin() as session:
            receipt = await ingest.store(session, events, cipher, items)
    except SQLAlchemyError:
        log.exception("storing a delivery failed")
        return error(503, "storage_unavailable", "Core could not store the delivery; retry later")
    return JSONResponse(receipt)


async def health(request: Request) -> JSONResponse:
    """Report database reachability and migration status."""
    report = await db.check(request.app.state.engine)
    return JSONResponse({"service": "core", **report}, status_code=200 if report["ok"] else 503)


ROUTES = [
    Route("/health", health, methods=["GET"]),
    Route("/webhooks", webhooks, methods=["POST"]),
]
