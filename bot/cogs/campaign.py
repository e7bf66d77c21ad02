"""`/campaign create | bind | info | unbind`: tie a channel to a campaign and a VTT game."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.campaigns import ChannelBinding, campaign_settings, gm_discord_id
from bot.cogs.common import Interaction, before_reply, require_binding, require_gm
from bot.cogs.errors import UserFacingError
from bot.embeds import clip
from core_client import CoreClientError, VttPlatform
from core_client.contract.answers import CampaignDict

if TYPE_CHECKING:
    from bot.bot import FumbleBot

PLATFORMS = [p.value for p in VttPlatform]


def binding_embed(binding: ChannelBinding, channel_mention: str) -> discord.Embed:
    """Describe a channel's campaign binding."""
    campaign, link = binding.campaign, binding.link
    embed = discord.Embed(title=clip(campaign["name"], 256), colour=discord.Colour.gold())
    gm = gm_discord_id(campaign)
    embed.add_field(name="GM", value=f"<@{gm}>" if gm else "not set", inline=True)
    embed.add_field(name="Channel", value=channel_mention, inline=True)
    if link["platform"]:
        game = f"{link['platform']} · `{link['vtt_game_id'] or '?'}`"
        embed.add_field(name="VTT game", value=clip(game, 1024), inline=False)
    chat = "on" if link["sync_chat"] else "off"
    rolls = "on" if link["sync_rolls"] else "off"
    sync = f"chat {chat} · rolls {rolls}"
    embed.add_field(name="Sync", value=sync, inline=False)
    # A raw id means nothing to a player; the name is what they know it by.
    embed.set_footer(text=clip(f"Campaign: {campaign['name']}", 2048))
    return embed


class CampaignCog(commands.GroupCog, group_name="campaign"):
    """Campaign set-up for GMs."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="create", description="Create a campaign and link this channel")
    @app_commands.describe(name="The campaign's name", gm_role="A role whose members act as GM")
    @app_commands.guild_only()
    async def create(
        self,
        interaction: Interaction,
        name: app_commands.Range[str, 1, 100],
        gm_role: discord.Role | None = None,
    ) -> None:
        """Create a campaign with the caller as GM, bound to this channel."""
        require_gm(interaction, None)
        await interaction.response.defer(thinking=True)
        settings: dict[str, str] = {"gm_discord_id": str(interaction.user.id)}
        if gm_role is not None:
            settings["gm_role_id"] = str(gm_role.id)
        campaign = await self.bot.core.create_campaign(
            name=name, guild_id=str(interaction.guild_id), settings=settings
        )
        binding = await self._bind(interaction, campaign, None, None, True, True)
        await interaction.followup.send(
            content=f"Campaign **{discord.utils.escape_markdown(name)}** created and linked here.",
            embed=binding_embed(binding, _mention(interaction)),
        )

    @app_commands.command(name="bind", description="Link this channel to a campaign and VTT game")
    @app_commands.describe(
        campaign="The campaign to link",
        platform="The VTT the game runs on",
        game_id="The game's id on that VTT",
        sync_chat="Relay chat between this channel and the VTT",
        sync_rolls="Relay rolls between this channel and the VTT",
    )
    @app_commands.choices(platform=[app_commands.Choice(name=p, value=p) for p in PLATFORMS])
    @app_commands.guild_only()
    async def bind(
        self,
        interaction: Interaction,
        campaign: str,
        platform: str | None = None,
        game_id: app_commands.Range[str, 1, 200] | None = None,
        sync_chat: bool = True,
        sync_rolls: bool = True,
    ) -> None:
        """Bind this channel (again) to a campaign."""
        require_gm(interaction, None)
        await interaction.response.defer(thinking=True)
        found = await self.bot.core.get_campaign(campaign)
        if found["guild_id"] != str(interaction.guild_id):
            raise UserFacingError("That campaign belongs to another server.")
        binding = await self._bind(interaction, found, platform, game_id, sync_chat, sync_rolls)
        await interaction.followup.send(embed=binding_embed(binding, _mention(interaction)))

    @bind.autocomplete("campaign")
    async def campaign_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest this server's campaigns by name."""
        try:
            page = await self.bot.core.list_campaigns(guild_id=str(interaction.guild_id), limit=100)
        except CoreClientError:
            return []
        wanted = current.casefold()
        return [
            app_commands.Choice(name=clip(c["name"], 100), value=c["id"])
            for c in page["campaigns"]
            if wanted in c["name"].casefold() and c["archived_at"] is None
        ][:25]

    @app_commands.command(name="info", description="Show the campaign linked to this channel")
    async def info(self, interaction: Interaction) -> None:
        """Describe this channel's campaign."""
        async with before_reply():
            binding = await require_binding(interaction)
        await interaction.response.send_message(
            embed=binding_embed(binding, _mention(interaction)), ephemeral=True
        )

    @app_commands.command(name="unbind", description="Unlink this channel from its campaign")
    @app_commands.guild_only()
    async def unbind(self, interaction: Interaction) -> None:
        """Archive this channel's game link; the campaign and its history stay."""
        async with before_reply():
            binding = await require_binding(interaction)
            require_gm(interaction, binding)
            await self.bot.core.update_game_link(
                binding.link["id"], binding.link["version"], archived=True
            )
        self.bot.channels.forget(interaction.channel_id or 0)
        self.bot.dispatch("binding_changed", binding, None)
        await interaction.response.send_message(
            f"This channel is no longer linked to **{binding.campaign['name']}**. "
            "Its history is kept; `/campaign bind` links it again."
        )

    async def _bind(
        self,
        interaction: Interaction,
        campaign: CampaignDict,
        platform: str | None,
        game_id: str | None,
        sync_chat: bool,
        sync_rolls: bool,
    ) -> ChannelBinding:
        channel_id = interaction.channel_id or 0
        old = await self.bot.channels.binding(channel_id)
        if old is not None:
            await self.bot.core.update_game_link(old.link["id"], old.link["version"], archived=True)
        link = await self.bot.core.create_game_link(
            campaign["id"],
            discord_channel_id=str(channel_id),
            platform=None if platform is None else VttPlatform(platform),
            vtt_game_id=game_id,
            sync_chat=sync_chat,
            sync_rolls=sync_rolls,
        )
        self.bot.channels.forget(channel_id)
        binding = ChannelBinding(campaign, link)
        self.bot.dispatch("binding_changed", old, binding)
        return binding


def _mention(interaction: Interaction) -> str:
    return f"<#{interaction.channel_id}>"


__all__ = ["CampaignCog", "binding_embed", "campaign_settings"]
