"""HTTP plumbing shared by the bridge's routes: bodies, credentials, errors.

Routes parse the request here and then call domain functions with plain
values; no Starlette `Request` goes further than the route.
"""

from __future__ import annotations

import functools
import hmac
import json
import logging
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from bridge.errors import (
    AuthError,
    BodyTooLargeError,
    BridgeError,
    CoreUnavailableError,
    InvalidJSONError,
)
from core_client import CoreClientError, RecordError

log = logging.getLogger(__name__)

Handler = Callable[[Request], Awaitable[Response]]


def error_response(exc: BridgeError) -> JSONResponse:
    """Return the JSON response of a refusal."""
    return JSONResponse(exc.body(), status_code=exc.status, headers=exc.headers())


def endpoint(handler: Handler) -> Handler:
    """Wrap a route so every `BridgeError` becomes its JSON refusal.

    A failure to hand a report to Core (`CoreClientError`, e.g. the outbox is
    full) becomes `503 core_unavailable` with `Retry-After`. A `RecordError`
    is a malformed record built by our own code, so it stays a bug (500).
    """

    @functools.wraps(handler)
    async def wrapped(request: Request) -> Response:
        try:
            return await handler(request)
        except BridgeError as exc:
            return error_response(exc)
        except RecordError:
            raise
        except CoreClientError as exc:
            log.warning("Core cannot take reports now: %s", exc)
            return error_response(
                CoreUnavailableError("Core cannot take reports right now; retry later")
            )

    return wrapped


async def read_json(request: Request, limit: int) -> Any:
    """Return the parsed JSON body, refusing one over `limit` bytes or not JSON."""
    declared = request.headers.get("content-length", "")
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
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


def require_service_key(request: Request, keys: tuple[str, ...]) -> None:
    """Refuse a request whose bearer token is not one of the service `keys`.

    With no keys configured every request is refused. Each key is compared in
    constant time, and all of them are compared, so timing tells nothing.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    presented = token.strip().encode()
    matched = False
    for key in keys:
        matched |= hmac.compare_digest(presented, key.encode())
    if scheme.lower() != "bearer" or not presented or not matched:
        raise AuthError("send a service key as 'Authorization: Bearer <key>'")


def client_key(request: Request) -> str:
    """Return the caller's address, for limits on unauthenticated routes."""
    return request.client.host if request.client else "unknown"
