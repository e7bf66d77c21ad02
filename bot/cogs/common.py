"""What every cog shares: the interaction type, GM checks and friendly errors."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

import discord

from bot.campaigns import ChannelBinding, is_gm
from bot.cogs.errors import UserFacingError

if TYPE_CHECKING:
    from bot.bot import FumbleBot

    Interaction = discord.Interaction[FumbleBot]
else:
    Interaction = discord.Interaction


# Discord drops an interaction not answered within 3 s; lookups made before the
# first answer get this much of it, so a slow Core still gets a polite reply.
LOOKUP_BUDGET = 2.0
SLOW = "FumbleBot's storage is slow right now. Try again in a moment."


@contextlib.asynccontextmanager
async def before_reply(budget: float = LOOKUP_BUDGET) -> AsyncIterator[None]:
    """Bound Core calls made before the first answer to an interaction."""
    try:
        async with asyncio.timeout(budget):
            yield
    except TimeoutError as exc:
        raise UserFacingError(SLOW) from exc


async def require_binding(interaction: Interaction) -> ChannelBinding:
    """Return the channel's campaign binding, or explain how to make one."""
    if interaction.channel_id is None:
        raise UserFacingError("This command works in a server channel.")
    binding = await interaction.client.channels.binding(interaction.channel_id)
    if binding is None:
        raise UserFacingError(
            "This channel is not linked to a campaign. A GM can run `/campaign create` "
            "or `/campaign bind` here."
        )
    return binding


def member_is_gm(interaction: Interaction, binding: ChannelBinding | None) -> bool:
    """Return whether the user may act as GM here."""
    user = interaction.user
    if not isinstance(user, discord.Member):
        return False
    manage = user.guild_permissions.manage_guild
    if binding is None:
        return manage
    return is_gm(binding.campaign, user.id, [r.id for r in user.roles], manage)


def require_gm(interaction: Interaction, binding: ChannelBinding | None) -> None:
    """Refuse unless the user has Manage Server or is the campaign's GM."""
    if not member_is_gm(interaction, binding):
        raise UserFacingError(
            "Only the GM can do that: you need Manage Server, or the campaign's GM role."
        )
