"""Bridge tokens: what a linked extension presents as `Authorization: Bearer`.

A token is `fbt_` + 256 random bits. Only its SHA-256 is stored, under
`token:<hash>`, with the grant it carries: the user, the campaign, the games
it may see, whether the user is the GM, and the extension's platform and
player id. Revoking deletes the grant and leaves a `revoked:<hash>` mark for
`REVOKED_TTL`, so a revoked token is told so rather than "unknown".
"""

from __future__ import annotations

import hashlib
import json
import secrets
import time

import msgspec

from bridge.errors import BridgeAuthError
from bridge.pairing import PendingLink
from bridge.store import StateStore
from core_client.contract import codec

PREFIX = "fbt_"
REVOKED_TTL = 30 * 86400.0


class Grant(msgspec.Struct, frozen=True):
    """What a token allows: one user, one campaign, some of its games."""

    token_id: str
    user_id: str
    campaign_id: str
    games: tuple[str, ...]
    platform: str
    player_id: str
    user_name: str | None = None
    gm: bool = False
    created_at: float = 0.0

    def may_see(self, game_id: str) -> bool:
        """Return whether the token covers a game."""
        return game_id in self.games


def digest(token: str) -> str:
    """Return the SHA-256 hex digest a token is stored under."""
    return hashlib.sha256(token.encode()).hexdigest()


async def issue_token(
    store: StateStore, pending: PendingLink, platform: str, player_id: str
) -> tuple[str, Grant]:
    """Mint a token for a redeemed pairing; return it (shown once) and its grant."""
    token = PREFIX + secrets.token_urlsafe(32)
    grant = Grant(
        token_id="tok_" + secrets.token_hex(8),
        user_id=pending.user_id,
        campaign_id=pending.campaign_id,
        games=pending.games,
        platform=platform,
        player_id=player_id,
        user_name=pending.user_name,
        gm=pending.gm,
        created_at=time.time(),
    )
    hashed = digest(token)
    await store.put(f"token:{hashed}", codec.encode(grant).decode())
    await store.put(f"token_id:{grant.token_id}", hashed)
    await _index(store, grant, hashed)
    return token, grant


async def authenticate(store: StateStore, token: str) -> Grant:
    """Return the grant of a live token; refuse a missing, unknown or revoked one."""
    if not token.startswith(PREFIX) or len(token) > 200:
        raise BridgeAuthError("the bearer token is malformed", code="invalid_token")
    return await grant_for_hash(store, digest(token))


async def grant_for_hash(store: StateStore, hashed: str) -> Grant:
    """Return the grant stored under a token hash, or refuse it."""
    raw = await store.get(f"token:{hashed}")
    if raw is not None:
        return codec.decode(raw, Grant)
    if await store.get(f"revoked:{hashed}") is not None:
        raise BridgeAuthError(
            "the token was revoked; link the extension again", code="token_revoked"
        )
    raise BridgeAuthError("the token is unknown", code="invalid_token")


async def revoke_token(store: StateStore, hashed: str) -> Grant | None:
    """Revoke the token with this hash; return its grant if it was live."""
    raw = await store.take(f"token:{hashed}")
    await store.put(f"revoked:{hashed}", "1", REVOKED_TTL)
    if raw is None:
        return None
    grant = codec.decode(raw, Grant)
    await store.delete(f"token_id:{grant.token_id}")
    return grant


async def revoke_user(store: StateStore, user_id: str, campaign_id: str) -> list[Grant]:
    """Revoke every token a user holds in a campaign; return their grants."""
    raw = await store.take(_user_key(user_id, campaign_id))
    hashes: list[str] = json.loads(raw) if raw else []
    grants = [await revoke_token(store, h) for h in hashes]
    return [g for g in grants if g is not None]


async def _index(store: StateStore, grant: Grant, hashed: str) -> None:
    # Read-modify-write: two links of one user racing may lose an index entry,
    # which only means /unlink must be run twice; the token itself is fine.
    key = _user_key(grant.user_id, grant.campaign_id)
    raw = await store.get(key)
    hashes = [*json.loads(raw), hashed] if raw else [hashed]
    await store.put(key, json.dumps(hashes))


def _user_key(user_id: str, campaign_id: str) -> str:
    return f"user_tokens:{campaign_id}:{user_id}"
