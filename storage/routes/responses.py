"""The request plumbing every Core route shares: bodies, path and query values.

Bodies are read by the shared toolkit (`core_client.web`) and every refusal
is a `RequestError`, rendered by the toolkit's handlers as
`{"error": {"code", "message", ...}}`, so handlers read top to bottom without
building error responses by hand.
"""

from __future__ import annotations

import logging
import uuid
from collections.abc import Mapping
from typing import Any

from starlette.requests import Request

from core_client.web import read_json
from storage.errors import RequestError

log = logging.getLogger(__name__)

MAX_PAGE = 500
DEFAULT_PAGE = 50


async def json_body(request: Request) -> dict[str, Any]:
    """Read a bounded JSON object body (its fields are checked by the contract's bodies)."""
    data = await read_json(request, request.app.state.settings.max_query_body_bytes)
    if not isinstance(data, Mapping):
        raise RequestError("must be a JSON object", status=422, code="invalid_body", field="body")
    return dict(data)


def path_id(request: Request, name: str = "id") -> uuid.UUID:
    """Return a UUID path parameter; a malformed one names nothing, so 404."""
    try:
        return uuid.UUID(request.path_params[name])
    except ValueError:
        raise not_found(name) from None


def invalid_parameter(name: str, problem: str) -> RequestError:
    """Return the 400 for a query parameter that is not what the route takes."""
    return RequestError(problem, status=400, code="invalid_parameter", field=name)


def query_uuid(request: Request, name: str) -> uuid.UUID | None:
    """Return an optional UUID query parameter."""
    raw = request.query_params.get(name)
    if raw is None or raw == "":
        return None
    try:
        return uuid.UUID(raw)
    except ValueError:
        raise invalid_parameter(name, "must be a UUID") from None


def page_size(request: Request, default: int = DEFAULT_PAGE, maximum: int = MAX_PAGE) -> int:
    """Return the `limit` query parameter, bounded."""
    raw = request.query_params.get("limit", str(default))
    if not (raw.isascii() and raw.isdigit() and len(raw) <= 9) or not 1 <= int(raw) <= maximum:
        raise invalid_parameter("limit", f"must be 1 to {maximum}")
    return int(raw)


def not_found(what: str) -> RequestError:
    """Return the 404 for something missing or invisible to the caller."""
    return RequestError(f"no such {what}", status=404, code="not_found")
