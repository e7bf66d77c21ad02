"""`/stats`: roll statistics, and the answer to "are my dice cursed?"."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import Interaction, before_reply, require_binding
from bot.embeds import stats_answer_embed

if TYPE_CHECKING:
    from bot.bot import FumbleBot


class StatsCog(commands.Cog):
    """Roll statistics from Core."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot

    @app_commands.command(name="stats", description="Roll statistics: are your dice cursed?")
    @app_commands.describe(
        player="Whose rolls (default: yours)",
        campaign="Show the whole campaign instead of one player",
    )
    async def stats(
        self,
        interaction: Interaction,
        player: discord.Member | None = None,
        campaign: bool = False,
    ) -> None:
        """Show roll statistics for a player or the campaign."""
        async with before_reply():
            binding = await require_binding(interaction)
        who = player or interaction.user
        await interaction.response.defer(thinking=True)
        if campaign:
            answer = await self.bot.core.roll_stats(campaign_id=binding.campaign_id)
            title = f"Dice of {binding.campaign['name']}"
        else:
            answer = await self.bot.core.roll_stats(
                campaign_id=binding.campaign_id, actor_id=str(who.id)
            )
            title = f"Dice of {who.display_name}"
        await interaction.followup.send(embed=stats_answer_embed(title, answer["stats"]))
