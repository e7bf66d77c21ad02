"""What the bridge reports to Core, as typed Core events through the reporter.

Rolls go as `roll.recorded`, chat as `chat.message`, links and unlinks as
`vtt.account_linked` / `vtt.account_revoked`. Core's account records know
Roll20, Foundry, D&D Beyond and Owlbear; a Beyond20 link is reported as a
D&D Beyond account, since Beyond20 reads the player's D&D Beyond sheet.
"""

from __future__ import annotations

import logging

from bridge.tokens import Grant
from core_client import (
    ChatMessage,
    Event,
    Platform,
    Reporter,
    RollRecord,
    VttAccountLinked,
    VttAccountRevoked,
    VttPlatform,
)

log = logging.getLogger(__name__)


async def report_roll(reporter: Reporter, record: RollRecord) -> Event:
    """Hand a roll to the reporter for Core; return the event (its id is the origin)."""
    event = record.event()
    await reporter.put(event)
    return event


async def report_chat(reporter: Reporter, grant: Grant, *, speaker: str, text: str) -> None:
    """Report a chat line a VTT posted."""
    message = ChatMessage(
        campaign_id=grant.campaign_id,
        platform=Platform(grant.platform),
        text=text,
        author_id=grant.user_id,
        author_name=speaker,
    )
    await reporter.put(message.event())


async def report_link(reporter: Reporter, grant: Grant, *, linked: bool) -> None:
    """Report that a VTT account was linked or revoked."""
    platform = vtt_platform(grant.platform)
    if linked:
        event = VttAccountLinked(
            discord_user_id=grant.user_id,
            platform=platform,
            platform_user_id=grant.player_id,
            display_name=grant.user_name,
        ).event()
    else:
        event = VttAccountRevoked(platform, grant.player_id).event()
    await reporter.put(event)


def vtt_platform(platform: str) -> VttPlatform:
    """Return Core's account platform for an extension's platform."""
    return VttPlatform.DNDBEYOND if platform == Platform.BEYOND20 else VttPlatform(platform)
