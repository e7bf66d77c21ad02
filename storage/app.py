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
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import JSONResponse

from core_client import signing
from core_client.errors import RecordError
from storage import auth, db
from storage.crypto import CredentialCipher
from storage.errors import ClaimConflictError, VersionConflictError
from storage.metrics import CoreMetrics
from storage.routes import campaigns, changes, entities, rolls, webhooks
from storage.routes.responses import ApiError, error, on_api_error, on_http_error
from storage.settings import CoreSettings

log = logging.getLogger(__name__)

# Kept importable from here: other packages and tests use these names.
__all__ = ["ApiError", "create_app", "error"]


async def on_conflict(_request: Request, exc: Exception) -> JSONResponse:
    """Refuse a write that named a stale version, saying which is current."""
    assert isinstance(exc, VersionConflictError)
    return error(409, "version_conflict", str(exc), current_version=exc.current)


async def on_claimed(_request: Request, exc: Exception) -> JSONResponse:
    """Refuse claiming a game or channel another campaign holds, saying which."""
    assert isinstance(exc, ClaimConflictError)
    return error(409, "already_claimed", str(exc), field=exc.field, held_by=str(exc.holder))


async def on_database_error(_request: Request, exc: Exception) -> JSONResponse:
    """Answer 409 for a taken unique key, 503 when the database fails under a query."""
    if isinstance(exc, IntegrityError) and _missing_reference(exc):
        return error(422, "unknown_reference", "the change names a row that does not exist")
    if isinstance(exc, IntegrityError):
        return error(409, "duplicate_key", "the change conflicts with an existing row's unique key")
    log.error("a query failed: %s", type(exc).__name__, exc_info=exc)
    return error(503, "storage_unavailable", "Core's database failed; retry later")


def _missing_reference(exc: IntegrityError) -> bool:
    # A foreign key names nothing: SQLSTATE 23503 on PostgreSQL, this text on SQLite.
    orig = exc.orig
    return getattr(orig, "sqlstate", None) == "23503" or "FOREIGN KEY constraint" in str(orig)


async def on_unexpected(_request: Request, exc: Exception) -> JSONResponse:
    """Answer a bug with the same JSON shape (the traceback goes to the log only)."""
    log.error("unhandled error: %s", type(exc).__name__, exc_info=exc)
    return error(500, "internal_error", "Core failed on this request; it has been logged")


@contextlib.asynccontextmanager
async def lifespan(app: Starlette) -> AsyncIterator[None]:
    """Own the database engine: migrate before serving, dispose after."""
    settings: CoreSettings = app.state.settings
    engine = db.create_engine(settings.database_url, echo=settings.echo_sql)
    try:
        await db.upgrade(engine)
        app.state.engine = engine
        app.state.sessions = db.sessionmaker(engine)
        yield
    finally:
        await engine.dispose()


def create_app(settings: CoreSettings) -> Starlette:
    """Build Core's Starlette app."""
    keys = [signing.decode_secret(s) for s in settings.signing_secrets]
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
        ],
        lifespan=lifespan,
        exception_handlers={
            ApiError: on_api_error,
            RecordError: on_api_error,
            VersionConflictError: on_conflict,
            ClaimConflictError: on_claimed,
            SQLAlchemyError: on_database_error,
            HTTPException: on_http_error,
            Exception: on_unexpected,
        },
    )
    app.state.settings = settings
    app.state.signing_keys = keys
    app.state.api_keys = auth.key_table(settings)
    app.state.cipher = cipher
    app.state.metrics = CoreMetrics.create()  # per app: never the global registry
    return app
