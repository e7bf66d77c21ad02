"""Read a request's body: bounded, declared as JSON, decoded strictly.

Every route of the three apps reads its body here, so each refusal is the
same JSON 4xx everywhere: 415 without `Content-Type: application/json`, 413
over the limit, 400 for JSON we do not accept, 422 (with the field's path)
for JSON that does not fit the route's type. Nothing in a body is a 500.
"""

from __future__ import annotations

import logging
from typing import Any, TypeVar, overload

from starlette.requests import Request

from core_client.web.decode import MAX_DEPTH, decode_json
from core_client.web.errors import BodyTooLargeError, UnsupportedMediaTypeError

log = logging.getLogger(__name__)

T = TypeVar("T")

DEFAULT_LIMIT = 262_144


def require_json(request: Request) -> None:
    """Refuse a request whose body is not declared as `application/json`."""
    declared = request.headers.get("content-type", "")
    media_type = declared.partition(";")[0].strip().lower()
    if media_type != "application/json":
        raise UnsupportedMediaTypeError("send the body with 'Content-Type: application/json'")


async def read_bytes(request: Request, limit: int = DEFAULT_LIMIT) -> bytes:
    """Return the raw body, refusing to buffer more than `limit` bytes."""
    declared = request.headers.get("content-length", "")
    too_large = BodyTooLargeError(f"the body is over {limit} bytes")
    if declared.isascii() and declared.isdigit() and (len(declared) > 18 or int(declared) > limit):
        raise too_large
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise too_large
    return bytes(body)


@overload
async def read_json(
    request: Request, limit: int = DEFAULT_LIMIT, into: None = None, *, max_depth: int = MAX_DEPTH
) -> Any: ...
@overload
async def read_json(
    request: Request, limit: int, into: type[T], *, max_depth: int = MAX_DEPTH
) -> T: ...
async def read_json(
    request: Request,
    limit: int = DEFAULT_LIMIT,
    into: type[T] | None = None,
    *,
    max_depth: int = MAX_DEPTH,
) -> Any:
    """Return the JSON body, validated into the msgspec type `into` when given."""
    require_json(request)
    return decode_json(await read_bytes(request, limit), into, max_depth=max_depth)
