"""Channel webhooks: how the bot speaks under a character's or a VTT player's name.

One webhook per channel, found or created once and cached for the bot's
lifetime; Discord allows few webhooks per channel, so we reuse our own.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

import discord

from bot.relay.coalesce import speaker_name
from bot.relay.poster import PermanentSendError

if TYPE_CHECKING:
    from bot.bot import FumbleBot

log = logging.getLogger(__name__)

WEBHOOK_NAME = "FumbleBot"


class ChannelWebhooks:
    """Find, create and use the bot's webhook in each channel."""

    def __init__(self, bot: FumbleBot) -> None:
        self._bot = bot
        self._cache: dict[int, discord.Webhook] = {}

    async def webhook(self, channel: discord.TextChannel) -> discord.Webhook:
        """Return this channel's FumbleBot webhook, creating it if needed."""
        cached = self._cache.get(channel.id)
        if cached is not None:
            return cached
        try:
            ours = [
                w
                for w in await channel.webhooks()
                if w.user is not None
                and self._bot.user is not None
                and w.user.id == self._bot.user.id
            ]
            hook = ours[0] if ours else await channel.create_webhook(name=WEBHOOK_NAME)
        except discord.Forbidden as exc:
            raise PermanentSendError(
                f"FumbleBot needs the Manage Webhooks permission in #{channel.name}"
            ) from exc
        self._cache[channel.id] = hook
        return hook

    async def send(
        self,
        channel: discord.TextChannel,
        content: str,
        *,
        username: str,
        avatar_url: str | None = None,
    ) -> discord.WebhookMessage:
        """Post through the channel's webhook under another name."""
        hook = await self.webhook(channel)
        try:
            return await hook.send(
                content=content,
                username=speaker_name(username),
                avatar_url=avatar_url or discord.utils.MISSING,
                allowed_mentions=discord.AllowedMentions.none(),
                wait=True,
            )
        except discord.NotFound:
            # Someone deleted our webhook: forget it so the next post recreates it.
            self._cache.pop(channel.id, None)
            raise
        except discord.Forbidden as exc:
            raise PermanentSendError(str(exc)) from exc
