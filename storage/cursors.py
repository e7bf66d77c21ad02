"""Opaque pagination cursors: a base64url JSON list the client hands back verbatim."""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from core_client.web import InvalidBodyError, InvalidJSONError, decode_json
from storage.errors import RequestError


def encode(*parts: Any) -> str:
    """Return a cursor holding `parts`."""
    raw = json.dumps(list(parts), separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def invalid() -> RequestError:
    """Return the refusal of a cursor Core did not issue."""
    return RequestError("the cursor is not one Core issued", status=400, code="invalid_cursor")


def decode(cursor: str, arity: int) -> list[Any]:
    """Return the parts of a cursor made by `encode`, or refuse it with 400."""
    if not cursor.isascii():  # base64 raises ValueError, not binascii.Error, on these
        raise invalid()
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4))
        parts = decode_json(raw)
    except (binascii.Error, InvalidJSONError, InvalidBodyError) as exc:
        raise invalid() from exc
    if not isinstance(parts, list) or len(parts) != arity:
        raise invalid()
    return parts
