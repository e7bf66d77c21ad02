"""Stream tickets: how an EventSource authenticates without a token in the URL.

EventSource cannot send headers, so the extension first trades its bearer
token for a ticket (`POST /vtt/stream-tickets`) and opens
`GET /vtt/stream?ticket=...`. A ticket lives `ttl` seconds (30 by default),
works once, and points at the token's hash, so revoking the token also voids
tickets not used yet.
"""

from __future__ import annotations

import secrets

from bridge.errors import BridgeAuthError
from bridge.store import StateStore
from bridge.tokens import Grant, digest, grant_for_hash

PREFIX = "fbs_"
DEFAULT_TTL = 30.0


async def issue_ticket(store: StateStore, token: str, ttl: float = DEFAULT_TTL) -> str:
    """Return a single-use ticket standing for an authenticated token."""
    ticket = PREFIX + secrets.token_urlsafe(24)
    await store.put(f"ticket:{digest(ticket)}", digest(token), ttl)
    return ticket


async def redeem_ticket(store: StateStore, ticket: str) -> tuple[str, Grant]:
    """Use up a ticket; return its token's hash and grant."""
    if not ticket.startswith(PREFIX) or len(ticket) > 200:
        raise BridgeAuthError("the stream ticket is malformed", code="invalid_ticket")
    hashed = await store.take(f"ticket:{digest(ticket)}")
    if hashed is None:
        raise BridgeAuthError(
            "the stream ticket is unknown, used or expired; get a new one",
            code="invalid_ticket",
        )
    return hashed, await grant_for_hash(store, hashed)
