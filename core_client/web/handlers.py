"""The one set of Starlette exception handlers every app installs.

`exception_handlers()` renders any `HttpError`, Starlette's own refusals
(404 for an unknown path, 405 for a wrong method) and any unhandled bug in
the one JSON error shape. A 500 says only that it was logged: the traceback
goes to the log, never to the caller.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Mapping
from typing import Any

import msgspec
from starlette.exceptions import HTTPException
from starlette.requests import Request
from starlette.responses import Response

from core_client.web.errors import ErrorBody, ErrorDetail, HttpError

log = logging.getLogger(__name__)

Handler = Callable[[Request, Exception], Awaitable[Response]]

STARLETTE_CODES = {404: "not_found", 405: "method_not_allowed"}


def json_response(body: object, status: int, headers: Mapping[str, str] | None = None) -> Response:
    """Return `body` (a msgspec Struct or plain JSON data) as a JSON response."""
    return Response(
        msgspec.json.encode(body),
        status_code=status,
        headers=dict(headers or {}),
        media_type="application/json",
    )


def error_response(exc: HttpError) -> Response:
    """Return the JSON response of a refusal."""
    return json_response(exc.body(), exc.status, exc.headers())


async def on_http_error(_request: Request, exc: Exception) -> Response:
    """Render a refusal made on purpose."""
    assert isinstance(exc, HttpError)
    return error_response(exc)


async def on_starlette_error(request: Request, exc: Exception) -> Response:
    """Render Starlette's own refusals (unknown path, wrong method) in our shape."""
    assert isinstance(exc, HTTPException)
    code = STARLETTE_CODES.get(exc.status_code, "http_error")
    if exc.status_code == 404:
        message = f"there is nothing at {request.url.path}"
    elif exc.status_code == 405:
        message = f"{request.method} is not allowed on {request.url.path}"
    else:
        message = exc.detail
    body = ErrorBody(ErrorDetail(code=code, message=message))
    return json_response(body, exc.status_code, exc.headers)


async def on_unexpected(request: Request, exc: Exception) -> Response:
    """Answer a bug in the same shape, logging the traceback and showing none of it."""
    log.error(
        "unhandled %s on %s %s", type(exc).__name__, request.method, request.url.path, exc_info=exc
    )
    message = "the server failed on this request; it has been logged"
    return json_response(ErrorBody(ErrorDetail(code="internal_error", message=message)), 500)


def exception_handlers(
    extra: Mapping[type[Exception], Handler] | None = None,
) -> dict[Any, Handler]:
    """Return the handlers for `Starlette(exception_handlers=...)`, plus an app's `extra`.

    Starlette picks the handler of the nearest class in an exception's MRO,
    so an app's handler for a narrower class (e.g. Core's database errors)
    wins over these.
    """
    handlers: dict[Any, Handler] = {
        HttpError: on_http_error,
        HTTPException: on_starlette_error,
        Exception: on_unexpected,
    }
    handlers.update(extra or {})
    return handlers
