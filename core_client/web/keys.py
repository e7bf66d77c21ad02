"""Bearer credentials: read them from the header, compare them in constant time.

Header values reach Starlette as latin-1 text, so a non-ASCII byte arrives as
a character `str.encode` or `hmac.compare_digest` would choke on; such a
header is refused as a 401 here, in the one JSON shape, never a 500.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Iterable, Mapping
from typing import TypeVar

from starlette.requests import Request

from core_client.web.errors import UnauthorizedError

log = logging.getLogger(__name__)

V = TypeVar("V")

MAX_CREDENTIAL = 4096


def bearer_token(
    request: Request,
    error: type[UnauthorizedError] = UnauthorizedError,
    *,
    missing_code: str | None = None,
) -> str:
    """Return the token of `Authorization: Bearer <token>`, or refuse with `error`.

    `missing_code` names a missing credential apart from a wrong one, for an
    API (the bridge's `/vtt`) whose clients act on the difference.
    """
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    token = token.strip()
    if scheme.lower() != "bearer" or not token:
        raise error("send the credential as 'Authorization: Bearer <token>'", code=missing_code)
    if not token.isascii() or len(token) > MAX_CREDENTIAL:
        raise error("the bearer token is malformed")
    return token


def find_key(presented: str, keys: Mapping[str, V]) -> V | None:
    """Return the value of the key equal to `presented`, comparing every key.

    Each comparison is constant-time and none ends the loop early, so the
    time taken tells nothing about which key, or how much of one, matched.
    """
    given = presented.encode()
    found: V | None = None
    for key, value in keys.items():
        if hmac.compare_digest(given, key.encode()) and found is None:
            found = value
    return found


def digest(key: str) -> str:
    """Return the SHA-256 of a key, in hex: what a server keeps instead of the key.

    Issued keys carry 256 random bits, so a fast hash is enough: there is no
    dictionary to guess from, and a stolen digest opens nothing.
    """
    return hashlib.sha256(key.encode()).hexdigest()


def matches_digest(presented: str, stored: str) -> bool:
    """Return whether `presented` hashes to the stored digest, compared in constant time."""
    return hmac.compare_digest(digest(presented).encode(), stored.encode())


def require_key(
    request: Request, keys: Iterable[str], error: type[UnauthorizedError] = UnauthorizedError
) -> str:
    """Return the bearer key if it is one of `keys`; refuse it (or no keys configured)."""
    token = bearer_token(request, error)
    if find_key(token, dict.fromkeys(keys, True)) is None:
        raise error("the key is not known")
    return token
