"""HTTP plumbing shared by the bridge's routes: bodies, credentials, errors.

Routes parse the request here and then call domain functions with plain
values; no Starlette `Request` goes further than the route.
"""

from __future__ import annotations

import functools
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.errors import AuthError, BodyTooLargeError, BridgeError, InvalidJSONError

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]


def error_response(exc: BridgeError) -> JSONResponse:
    """Return the JSON response of a refusal."""
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers())


def endpoint(handler: Handler) -> Handler:
    """Wrap a route so every `BridgeError` becomes its JSON refusal."""

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except BridgeError as exc:
            return error_response(exc)

    return wrapped


async def read_json(request: Request, limit: int) -> Any:
    """Return the parsed JSON body, refusing one over `limit` bytes or not JSON."""
    declared = request.headers.get("content-length", "")
    if declared.isdigit() and int(declared) > limit:
        raise BodyTooLargeError(f"the body is over {limit} bytes")
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise BodyTooLargeError(f"the body is over {limit} bytes")
    try:
        return json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise InvalidJSONError(f"the body is not valid JSON: {exc}") from None


def bearer(request: Request) -> str:
    """Return the bearer token of the Authorization header, or refuse."""
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthError("send the token as 'Authorization: Bearer <token>'", code="missing_token")
    return token.strip()


def client_key(request: Request) -> str:
    """Return the caller's address, for limits on unauthenticated routes."""
    return request.client.host if request.client else "unknown"
