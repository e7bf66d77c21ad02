"""Core's HTTP app: signed webhooks in, health and the query API out.

Built by `create_app(settings)`; its lifespan owns the database engine and
applies migrations before the first request is served. Routes live in
`storage.routes`, one module per resource.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import AsyncIterator

from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response

from core_client import signing
from core_client.errors import RecordError
from core_client.web import error_response, exception_handlers
from storage import auth, db, openapi
from storage.crypto import CredentialCipher
from storage.errors import RequestError
from storage.metrics import CoreMetrics
from storage.routes import campaigns, changes, chat, entities, keys, rolls, usage, webhooks
from storage.settings import CoreSettings

log = logging.getLogger(__name__)


async def on_record_error(_request: Request, exc: Exception) -> Response:
    """Refuse a body that fails a record's validation, naming the field."""
    assert isinstance(exc, RecordError)
    return error_response(
        RequestError(exc.problem, status=422, code="invalid_body", field=exc.field)
    )


async def on_database_error(_request: Request, exc: Exception) -> Response:
    """Answer 409 for a taken unique key, 503 when the database fails under a query."""
    if isinstance(exc, IntegrityError) and _missing_reference(exc):
        message = "the change names a row that does not exist"
        return error_response(RequestError(message, status=422, code="unknown_reference"))
    if isinstance(exc, IntegrityError):
        message = "the change conflicts with an existing row's unique key"
        return error_response(RequestError(message, status=409, code="duplicate_key"))
    # The traceback only at DEBUG: a driver's message may quote the value it refused.
    log.error("a query failed: %s", db.failure(exc))
    log.debug("the failed query's traceback", exc_info=exc)
    message = "Core's database failed; retry later"
    return error_response(RequestError(message, status=503, code="storage_unavailable"))


def _missing_reference(exc: IntegrityError) -> bool:
    # A foreign key names nothing: SQLSTATE 23503 on PostgreSQL, this text on SQLite.
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "23503" or "FOREIGN KEY constraint" in str(orig)


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Own the database engine: migrate before serving, dispose after."""
    settings: CoreSettings = app.state.settings
    engine = db.create_engine(settings.database_url, echo=settings.echo_sql)
    try:
        await db.upgrade_if_behind(engine)
        app.state.engine = engine
        app.state.sessions = db.sessionmaker(engine)
        yield
    finally:
        await engine.dispose()


def create_app(settings: CoreSettings) -> Starlette:
    """Build Core's Starlette app."""
    signing_keys = [signing.decode_secret(s) for s in settings.signing_secrets]
    cipher = CredentialCipher(settings.encryption_key) if settings.encryption_key else None
    if cipher is None:
        log.warning("no FUMBLEBOT_CORE_ENCRYPTION_KEY: VTT credentials will be refused")
    app = Starlette(
        routes=[
            *webhooks.ROUTES,
            *campaigns.ROUTES,
            *entities.ROUTES,
            *rolls.ROUTES,
            *changes.ROUTES,
            *chat.ROUTES,
            *usage.ROUTES,
            *keys.ROUTES,
            *openapi.ROUTES,
        ],
        lifespan=lifespan,
        exception_handlers=exception_handlers(
            {RecordError: on_record_error, SQLAlchemyError: on_database_error}
        ),
    )
    app.state.settings = settings
    app.state.signing_keys = signing_keys
    app.state.api_keys = auth.key_table(settings)
    app.state.cipher = cipher
    app.state.metrics = CoreMetrics.create()  # per app: never the global registry
    return app
