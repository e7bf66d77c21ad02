"""The character a player plays in a campaign (`/character use`), as rolls need it.

A roll made while playing a character carries its id and name to Discord
and Core, and its `$dex`-style references are read from its summary.
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from dataclasses import dataclass, field

from bot.campaigns import ChannelBinding, ChannelDirectory, active_character
from core_client import CoreClientError, dice_refs

log = logging.getLogger(__name__)


@dataclass(frozen=True, slots=True)
class Played:
    """The character a player rolls as: Core's id, its name, the stats `$dex` may name."""

    id: str
    name: str
    stats: Mapping[str, int] = field(default_factory=dict)


async def played_by(
    channels: ChannelDirectory, binding: ChannelBinding, user_id: int
) -> Played | None:
    """Return the character the user chose with `/character use` in the campaign, if any."""
    chosen = active_character(binding.campaign, user_id)
    if chosen is None:
        return None
    try:
        character = await channels.character(chosen)
    except CoreClientError:
        # Deleted since it was chosen, or Core is away: roll as the player.
        log.warning("rolling as the player: character %s is not available", chosen)
        return None
    if character["archived_at"] is not None:
        return None
    summary = character["summary"]
    stats = dice_refs.stat_values(summary) if summary is not None else {}
    return Played(character["id"], character["name"], stats)
