"""The inject lease: which one extension of a game writes Discord's side into the VTT.

Every player's browser on a game sees every message, so if each extension
typed Discord's messages into the VTT's chat they would appear once per
player. The bridge grants a lease per game to one client instead: the first
to ask holds it for `ttl` seconds and renews by asking again (every third of
the TTL is plenty); once it stops renewing, or releases it, the next asker
gets it. Claims are one atomic store step (`StateStore.claim` / `release`),
so bridge instances sharing a Redis agree on the holder.

The stored value is the token id and the client id together, so a client id
seen on the wire cannot be replayed by another player's token to steal or
drop the lease.
"""

from __future__ import annotations

import logging

from bridge.schemas import InjectLease
from bridge.store import StateStore
from bridge.tokens import Grant

log = logging.getLogger(__name__)

_SEP = " "


def lease_key(campaign_id: str, game_id: str) -> str:
    """Return the store key of a game's inject lease."""
    return f"lease:inject:{campaign_id}:{game_id}"


async def claim(
    store: StateStore, grant: Grant, game_id: str, client_id: str, ttl: float
) -> InjectLease:
    """Take or renew the game's lease for this client, or say who holds it."""
    mine = grant.token_id + _SEP + client_id
    holder, left = await store.claim(lease_key(grant.campaign_id, game_id), mine, ttl)
    if holder == mine:
        return InjectLease(holder=True, holder_client_id=client_id, expires_in=round(ttl, 3))
    _, _, other = holder.partition(_SEP)
    return InjectLease(holder=False, holder_client_id=other or None, expires_in=round(left, 3))


async def release(store: StateStore, grant: Grant, game_id: str, client_id: str) -> bool:
    """Give the lease up if this client holds it; return whether it did."""
    released = await store.release(
        lease_key(grant.campaign_id, game_id), grant.token_id + _SEP + client_id
    )
    if released:
        log.info("inject lease of game %s released by %s", game_id, grant.token_id)
    return released
