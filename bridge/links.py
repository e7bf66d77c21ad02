"""Linking and unlinking VTT extensions: the domain behind `/link` and `/unlink`.

`link` redeems a pairing code for a token, tells the campaign's games (a
`link` event on each game topic) and reports to Core. `unlink_user` (Discord
`/unlink`) and `unlink_token` (the extension's own `DELETE`) revoke tokens,
publish `token.revoked` on the control topic so every bridge instance closes
the token's open streams at once, and tell the games and Core.

Reporting to Core comes last and a failed report is logged, not raised: the
link or revocation already happened, and the caller must still get the token
(a pairing code works once) or see every revoked token's streams closed.
"""

from __future__ import annotations

import logging

from bridge.bus import EventBus
from bridge.events import (
    CONTROL_TOPIC,
    LINK,
    TOKEN_REVOKED,
    LinkAction,
    LinkChange,
    game_topic,
    link_event,
    token_revoked,
)
from bridge.pairing import redeem_pairing_code
from bridge.reports import report_link
from bridge.store import StateStore
from bridge.tokens import Grant, issue_token, revoke_token, revoke_user
from core_client import CoreClientError, Platform, Reporter

log = logging.getLogger(__name__)


async def link(
    store: StateStore,
    bus: EventBus,
    reporter: Reporter,
    *,
    code: str,
    platform: str,
    player_id: str,
) -> tuple[str, Grant]:
    """Exchange a pairing code for a token; announce and report the link."""
    pending = await redeem_pairing_code(store, code)
    token, grant = await issue_token(store, pending, platform, player_id)
    log.info("linked %s on %s for campaign %s", grant.token_id, platform, grant.campaign_id)
    await _announce(bus, grant, LinkAction.LINKED)
    await _report(reporter, grant, linked=True)
    return token, grant


async def unlink_user(
    store: StateStore, bus: EventBus, reporter: Reporter, user_id: str, campaign_id: str
) -> list[Grant]:
    """Revoke every token of a user in a campaign (Discord `/unlink`)."""
    grants = await revoke_user(store, user_id, campaign_id)
    # Close every stream first; only then tell the games and Core.
    for grant in grants:
        await bus.publish(CONTROL_TOPIC, TOKEN_REVOKED, token_revoked(grant.token_id))
        log.info("revoked %s for campaign %s", grant.token_id, grant.campaign_id)
    for grant in grants:
        await _announce(bus, grant, LinkAction.UNLINKED)
        await _report(reporter, grant, linked=False)
    return grants


async def unlink_token(
    store: StateStore, bus: EventBus, reporter: Reporter, hashed: str
) -> Grant | None:
    """Revoke one token by its hash (the extension unlinking itself)."""
    grant = await revoke_token(store, hashed)
    if grant is not None:
        await _revoked(bus, reporter, grant)
    return grant


async def _revoked(bus: EventBus, reporter: Reporter, grant: Grant) -> None:
    await bus.publish(CONTROL_TOPIC, TOKEN_REVOKED, token_revoked(grant.token_id))
    log.info("revoked %s for campaign %s", grant.token_id, grant.campaign_id)
    await _announce(bus, grant, LinkAction.UNLINKED)
    await _report(reporter, grant, linked=False)


async def _announce(bus: EventBus, grant: Grant, action: LinkAction) -> None:
    change = LinkChange(
        action=action,
        user_id=grant.user_id,
        platform=Platform(grant.platform),
        player_id=grant.player_id,
        token_id=grant.token_id,
        user_name=grant.user_name,
    )
    for game_id in grant.games:
        data = link_event(grant.campaign_id, game_id, change)
        await bus.publish(game_topic(grant.campaign_id, game_id), LINK, data)


async def _report(reporter: Reporter, grant: Grant, *, linked: bool) -> None:
    """Report a link or revocation to Core; log (not raise) when Core cannot take it."""
    try:
        await report_link(reporter, grant, linked=linked)
    except CoreClientError:
        log.exception(
            "could not report %s of %s to Core", "link" if linked else "revocation", grant.token_id
        )
