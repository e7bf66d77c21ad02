"""Overlay keys: read-only, one campaign, revocable, stored only as a hash.

A key is `fbo_` + 256 random bits, shown once to the GM who made it, inside
the overlay URL. The store holds `overlay:<sha256>` -> the key's record, an
index per campaign (for `/overlay list` and `revoke`) and, once revoked, a
`overlay_revoked:<sha256>` mark so the page can say "revoked" rather than
"unknown". The key carries the games it shows, fixed when it was made.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import time
from collections.abc import Sequence

import msgspec

from bridge.errors import BridgeAuthError, RequestSchemaError
from bridge.store import StateStore
from core_client.contract import codec
from core_client.contract.scalars import MAX_ID

log = logging.getLogger(__name__)

PREFIX = "fbo_"
KEY_CHARS = frozenset("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")
MAX_KEY = 100
MAX_GAMES = 50
MAX_KEYS_PER_CAMPAIGN = 25
REVOKED_TTL = 30 * 86400.0


class OverlayKey(msgspec.Struct, frozen=True):
    """What an overlay key shows: one campaign's games; who made it and when."""

    key_id: str
    campaign_id: str
    games: tuple[str, ...]
    created_by: str
    created_at: float = 0.0


def digest(key: str) -> str:
    """Return the SHA-256 hex digest a key is stored under."""
    return hashlib.sha256(key.encode()).hexdigest()


def looks_like_key(key: str) -> bool:
    """Return whether a string has the shape of an overlay key (cheap, before the store)."""
    return key.startswith(PREFIX) and len(key) <= MAX_KEY and set(key[4:]) <= KEY_CHARS


async def create_overlay_key(
    store: StateStore, campaign_id: str, games: Sequence[str], created_by: str
) -> tuple[str, OverlayKey]:
    """Mint a key for a campaign's games; return it (shown once) and its record."""
    _check(campaign_id, games)
    ids = await key_ids(store, campaign_id)
    if len(ids) >= MAX_KEYS_PER_CAMPAIGN:
        raise RequestSchemaError(
            f"a campaign may have at most {MAX_KEYS_PER_CAMPAIGN} overlay keys; revoke one",
            field="campaign_id",
            code="too_many_overlay_keys",
        )
    key = PREFIX + secrets.token_urlsafe(32)
    record = OverlayKey(
        key_id="ovl_" + secrets.token_hex(6),
        campaign_id=campaign_id,
        games=tuple(dict.fromkeys(games)),
        created_by=created_by,
        created_at=time.time(),
    )
    hashed = digest(key)
    await store.put(f"overlay:{hashed}", codec.encode(record).decode())
    await store.put(f"overlay_id:{record.key_id}", hashed)
    await store.put(_index(campaign_id), json.dumps([*ids, record.key_id]))
    log.info("overlay key %s made for campaign %s", record.key_id, campaign_id)
    return key, record


async def authenticate_overlay(store: StateStore, key: str) -> OverlayKey:
    """Return the record of a live key; refuse an unknown or revoked one."""
    if not looks_like_key(key):
        raise BridgeAuthError("the overlay key is malformed", code="invalid_overlay_key")
    hashed = digest(key)
    raw = await store.get(f"overlay:{hashed}")
    if raw is not None:
        return codec.decode(raw, OverlayKey)
    if await store.get(f"overlay_revoked:{hashed}") is not None:
        raise BridgeAuthError(
            "this overlay key was revoked; ask the GM for a new one (/overlay create)",
            code="overlay_key_revoked",
        )
    raise BridgeAuthError("the overlay key is unknown", code="invalid_overlay_key")


async def list_overlay_keys(store: StateStore, campaign_id: str) -> list[OverlayKey]:
    """Return a campaign's live keys, oldest first."""
    keys = []
    for key_id in await key_ids(store, campaign_id):
        hashed = await store.get(f"overlay_id:{key_id}")
        raw = None if hashed is None else await store.get(f"overlay:{hashed}")
        if raw is not None:
            keys.append(codec.decode(raw, OverlayKey))
    return keys


async def revoke_overlay_key(store: StateStore, campaign_id: str, key_id: str) -> OverlayKey | None:
    """Revoke one of a campaign's keys by its id; return its record if it was live.

    The caller tells open feeds (`bridge.overlay.feed.announce_revoked`).
    """
    ids = await key_ids(store, campaign_id)
    if key_id not in ids:
        return None  # another campaign's key, or no key: nothing to reveal
    hashed = await store.take(f"overlay_id:{key_id}")
    await store.put(_index(campaign_id), json.dumps([i for i in ids if i != key_id]))
    if hashed is None:
        return None
    raw = await store.take(f"overlay:{hashed}")
    await store.put(f"overlay_revoked:{hashed}", "1", REVOKED_TTL)
    log.info("overlay key %s of campaign %s revoked", key_id, campaign_id)
    return None if raw is None else codec.decode(raw, OverlayKey)


async def key_ids(store: StateStore, campaign_id: str) -> list[str]:
    """Return the ids of a campaign's keys, as indexed."""
    raw = await store.get(_index(campaign_id))
    ids = json.loads(raw) if raw else []
    return [str(i) for i in ids]


def _index(campaign_id: str) -> str:
    return f"overlay_keys:{campaign_id}"


def _check(campaign_id: str, games: Sequence[str]) -> None:
    if not 1 <= len(campaign_id) <= MAX_ID:
        raise RequestSchemaError(f"must be 1 to {MAX_ID} characters", field="campaign_id")
    if not 1 <= len(games) <= MAX_GAMES:
        raise RequestSchemaError(f"must name 1 to {MAX_GAMES} games", field="games")
    if any(not 1 <= len(g) <= MAX_ID for g in games):
        raise RequestSchemaError(f"each game id must be 1 to {MAX_ID} characters", field="games")
