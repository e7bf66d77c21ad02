"""`/ic say`: speak in character through the channel's webhook."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.campaigns import active_character
from bot.cogs.common import Interaction, before_reply, require_binding
from bot.cogs.errors import UserFacingError
from bot.relay.poster import PermanentSendError
from bot.webhooks import ChannelWebhooks
from bridge.events import Origin, chat_event, game_topic
from core_client import CoreClientError, Platform
from core_client.contract import ChatMessage, codec

if TYPE_CHECKING:
    from bot.bot import FumbleBot


class InCharacterCog(commands.GroupCog, group_name="ic"):
    """In-character speech."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot
        self.webhooks = ChannelWebhooks(bot)
        super().__init__()

    @app_commands.command(name="say", description="Say something as your active character")
    @app_commands.describe(text="What your character says")
    async def say(self, interaction: Interaction, text: app_commands.Range[str, 1, 1900]) -> None:
        """Post the text under the character's name, and relay it to the VTT."""
        async with before_reply():
            binding = await require_binding(interaction)
        character_id = active_character(binding.campaign, interaction.user.id)
        if character_id is None:
            raise UserFacingError("Choose your character first with `/character use`.")
        channel = interaction.channel
        if not isinstance(channel, discord.TextChannel):
            raise UserFacingError("In-character speech works in text channels.")
        await interaction.response.defer(ephemeral=True, thinking=True)
        character = await self.bot.core.get_character(character_id)
        name = character["name"]
        avatar = character["stats"].get("avatar_url")
        try:
            sent = await self.webhooks.send(
                channel, text, username=name, avatar_url=avatar if isinstance(avatar, str) else None
            )
        except PermanentSendError as exc:
            raise UserFacingError(str(exc)) from exc
        origin = Origin(Platform.DISCORD, str(interaction.user.id), name, source_id=str(sent.id))
        if binding.link["sync_chat"] and self.bot.deps.bus is not None:
            data = chat_event(binding.campaign_id, binding.game_id, origin, speaker=name, text=text)
            await self.bot.deps.bus.publish(
                game_topic(binding.campaign_id, binding.game_id), "chat", data
            )
        payload = ChatMessage(
            campaign_id=binding.campaign_id,
            platform=Platform.DISCORD,
            text=text,
            channel_id=str(channel.id),
            author_id=str(interaction.user.id),
            author_name=name,
        )
        with contextlib.suppress(CoreClientError):  # RecordError too: Core would refuse it
            await self.bot.reporter.put(codec.validated(payload).event(f"chat_discord_{sent.id}"))
        await interaction.followup.send(f"Said as **{name}**.", ephemeral=True)
