"""Pairing codes: how a Discord user's `/link` reaches their VTT extension.

`/link` calls `create_pairing_code(store, user_id, campaign_id, games)` and
shows the player the code. The code is short (8 characters from an alphabet
without look-alikes), lives `ttl` seconds (10 minutes by default) and can be
redeemed once: `redeem_pairing_code` takes it out of the store atomically.
"""

from __future__ import annotations

import secrets
import time
from collections.abc import Sequence
from dataclasses import dataclass

import msgspec

from bridge.errors import BridgeAuthError, RequestSchemaError
from bridge.store import StateStore
from core_client.contract import codec
from core_client.contract.scalars import MAX_ID

ALPHABET = "ABCDEFGHJKMNPQRSTVWXYZ23456789"  # no I, L, O, U, 0, 1: read aloud safely
CODE_LENGTH = 8
MAX_GAMES = 50


@dataclass(frozen=True, slots=True)
class PairingCode:
    """A code to show the player, and when it stops working (Unix seconds)."""

    code: str
    expires_at: float


class PendingLink(msgspec.Struct, frozen=True):
    """Who asked for a code, for which campaign and games."""

    user_id: str
    campaign_id: str
    games: tuple[str, ...]
    user_name: str | None = None
    gm: bool = False


async def create_pairing_code(
    store: StateStore,
    user_id: str,
    campaign_id: str,
    games: Sequence[str],
    *,
    user_name: str | None = None,
    gm: bool = False,
    ttl: float,
) -> PairingCode:
    """Mint a one-time pairing code for a user and a campaign's games.

    `ttl` has no default here: the bot mints codes and owns their lifetime
    (`[discord] pairing_code_seconds`), so the one default lives there.
    """
    pending = PendingLink(user_id, campaign_id, tuple(games), user_name, gm)
    _check(pending)
    code = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    await store.put(_key(code), codec.encode(pending).decode(), ttl)
    return PairingCode(code=f"{code[:4]}-{code[4:]}", expires_at=time.time() + ttl)


async def redeem_pairing_code(store: StateStore, code: str) -> PendingLink:
    """Use up a pairing code; refuse one that is unknown, used or expired."""
    raw = await store.take(_key(normalise(code)))
    if raw is None:
        raise BridgeAuthError(
            "the pairing code is unknown, used or expired; run /link again",
            code="invalid_pairing_code",
            field="code",
        )
    return codec.decode(raw, PendingLink)


def normalise(code: str) -> str:
    """Return a code as stored: upper case, no dashes or spaces."""
    return code.replace("-", "").replace(" ", "").upper()


def _key(code: str) -> str:
    return f"pair:{code}"


def _check(pending: PendingLink) -> None:
    for name in ("user_id", "campaign_id"):
        value = getattr(pending, name)
        if not isinstance(value, str) or not 1 <= len(value) <= MAX_ID:
            raise RequestSchemaError(f"must be 1 to {MAX_ID} characters", field=name)
    if not 1 <= len(pending.games) <= MAX_GAMES:
        raise RequestSchemaError(f"must name 1 to {MAX_GAMES} games", field="games")
    if any(not isinstance(g, str) or not 1 <= len(g) <= MAX_ID for g in pending.games):
        raise RequestSchemaError(f"each game id must be 1 to {MAX_ID} characters", field="games")
