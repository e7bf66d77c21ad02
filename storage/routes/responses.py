"""The request and response plumbing every route shares.

Every refusal is an `ApiError`, turned into `{"error": {"code", "message"}}`
by one exception handler, so handlers read top to bottom without building
error responses by hand.
"""

from __future__ import annotations

import json
import logging
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse

from core_client.errors import RecordError

log = logging.getLogger(__name__)

MAX_PAGE = 500
DEFAULT_PAGE = 50


class ApiError(Exception):
    """A refusal with its HTTP status, machine code and human message."""

    def __init__(self, status: int, code: str, message: str, **extra: Any) -> None:
        self.status = status
        self.code = code
        self.message = message
        self.extra = extra
        super().__init__(message)


def error(status: int, code: str, message: str, **extra: Any) -> JSONResponse:
    """Return the JSON error shape every Core refusal uses."""
    return JSONResponse({"error": {"code": code, "message": message, **extra}}, status_code=status)


async def on_api_error(_request: Request, exc: Exception) -> JSONResponse:
    """Render an ApiError (or a RecordError from validation) as JSON."""
    if isinstance(exc, RecordError):
        return error(422, "invalid_body", str(exc), field=exc.field)
    assert isinstance(exc, ApiError)
    return error(exc.status, exc.code, exc.message, **exc.extra)


async def on_http_error(_request: Request, exc: Exception) -> JSONResponse:
    """Render Starlette's own refusals (404 route, 405 method) in our shape."""
    status = int(getattr(exc, "status_code", 500))
    codes = {404: "not_found", 405: "method_not_allowed"}
    return error(status, codes.get(status, "http_error"), str(getattr(exc, "detail", "")))


class BodyTooLargeError(Exception):
    """The request body is over the configured limit."""


async def read_body(request: Request, limit: int) -> bytes:
    """Read a request body, refusing to buffer more than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError
    chunks, size = [], 0
    async for chunk in request.stream():
        size += len(chunk)
        if size > limit:
            raise BodyTooLargeError
        chunks.append(chunk)
    return b"".join(chunks)


async def json_body(request: Request) -> dict[str, Any]:
    """Read a bounded JSON object body (its fields are checked by the contract's bodies)."""
    limit = request.app.state.settings.max_query_body_bytes
    try:
        body = await read_body(request, limit)
    except BodyTooLargeError:
        raise ApiError(413, "body_too_large", f"the body is over {limit} bytes") from None
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ApiError(400, "invalid_json", f"the body is not valid JSON ({exc})") from exc
    if not isinstance(data, Mapping):
        raise ApiError(422, "invalid_body", "the body must be a JSON object", field="body")
    return dict(data)


def path_id(request: Request, name: str = "id") -> uuid.UUID:
    """Return a UUID path parameter; a malformed one names nothing, so 404."""
    try:
        return uuid.UUID(request.path_params[name])
    except ValueError:
        raise ApiError(404, "not_found", f"no such {name}") from None


def query_uuid(request: Request, name: str) -> uuid.UUID | None:
    """Return an optional UUID query parameter."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise ApiError(400, "invalid_parameter", f"{name} must be a UUID", field=name) from None


def page_size(request: Request, default: int = DEFAULT_PAGE, maximum: int = MAX_PAGE) -> int:
    """Return the `limit` query parameter, bounded."""
    raw = request.query_params.get("limit", str(default))
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not 1 <= int(raw) <= maximum:
        raise ApiError(400, "invalid_parameter", f"limit must be 1 to {maximum}", field="limit")
    return int(raw)


def not_found(what: str) -> ApiError:
    """Return the 404 for something missing or invisible to the caller."""
    return ApiError(404, "not_found", f"no such {what}")
