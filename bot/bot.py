"""The discord.py client: FumbleBot's presence on Discord.

It holds no resources of its own: the reporter, the random source and the
limits are injected by the composition root, and cogs reach them through the
bot, never through globals.
"""

from __future__ import annotations

import logging
import random
from dataclasses import dataclass
from typing import Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.ai import AIService
from bot.campaigns import ChannelDirectory
from bot.cogs.errors import UserFacingError
from bot.metrics import ServiceMetrics
from bot.settings import BotSettings
from bridge.bus import EventBus
from bridge.store import StateStore
from core_client import CoreClient, CoreClientError, Reporter
from core_client.dice import Limits
from core_client.errors import ConflictError, DeliveryError, NotFoundError

log = logging.getLogger(__name__)


def core_trouble(exc: CoreClientError) -> str:
    """Translate a Core failure into a message that says what to do."""
    if isinstance(exc, DeliveryError):
        return "FumbleBot's storage is not answering right now. Try again soon."
    if isinstance(exc, ConflictError):
        return "Someone changed this at the same time. Run the command again."
    if isinstance(exc, NotFoundError):
        return "That no longer exists. It may have been removed."
    return "FumbleBot's storage refused that. Please check and try again."


class FumbleTree(app_commands.CommandTree["FumbleBot"]):
    """A command tree whose errors reach the user as a short, kind message.

    This is the one place a command's failure becomes a reply: cogs let a
    Core failure (`CoreClientError`) or a `UserFacingError` propagate, and
    only catch what they recover from (a stale version, an autocomplete).
    """

    async def on_error(
        self,
        interaction: discord.Interaction[FumbleBot],
        error: app_commands.AppCommandError,
    ) -> None:
        """Log the failure and tell the user, never with a stack trace."""
        original = getattr(error, "original", error)
        if isinstance(original, UserFacingError):
            message = str(original)
        elif isinstance(original, CoreClientError):
            log.warning("command %s: Core failed: %r", interaction.command, original)
            message = core_trouble(original)
        elif isinstance(error, app_commands.CheckFailure):
            message = str(error) or "You can't use this command here."
        else:
            log.error("command %s failed", interaction.command, exc_info=error)
            message = "Something went wrong on our side. Please try again in a moment."
        await send_ephemeral(interaction, f"⚠️ {message}")


async def send_ephemeral(interaction: discord.Interaction[FumbleBot], message: str) -> None:
    """Answer or follow up privately, whichever the interaction still allows.

    Discord makes the first follow-up after a defer *be* the deferred reply,
    with the reply's visibility: an ephemeral follow-up to a public defer is
    shown to the whole channel. So a public "thinking…" placeholder still
    waiting is deleted first, and the message goes out as its own follow-up.
    """
    try:
        if not interaction.response.is_done():
            await interaction.response.send_message(message, ephemeral=True)
            return
        if await _public_placeholder(interaction):
            await interaction.delete_original_response()
        await interaction.followup.send(message, ephemeral=True)
    except discord.HTTPException:
        log.warning("could not tell the user about an error", exc_info=True)


async def _public_placeholder(interaction: discord.Interaction[FumbleBot]) -> bool:
    """Return whether the reply is a public deferred placeholder nothing has replaced."""
    if interaction.response.type is not discord.InteractionResponseType.deferred_channel_message:
        return False
    original = await interaction.original_response()
    return original.flags.loading and not original.flags.ephemeral


@dataclass(frozen=True, slots=True)
class BotDeps:
    """What the composition root opens and the cogs use; nothing global."""

    reporter: Reporter
    rng: random.Random
    dice_limits: Limits
    core: CoreClient | None = None
    bus: EventBus | None = None
    store: StateStore | None = None
    ai: AIService | None = None
    relay_path: str | None = None  # the relay's queue file; None keeps it in memory (tests)
    bridge_url: str | None = None  # the bridge's public address, for /overlay links
    metrics: ServiceMetrics | None = None  # the service's /metrics: relay queue, Discord 429s


def _traced(deps: BotDeps, options: dict[str, Any]) -> dict[str, Any]:
    """Return discord.py's options with the trace that counts Discord's 429s, if measured."""
    if deps.metrics is not None and "http_trace" not in options:
        return {**options, "http_trace": deps.metrics.discord_trace()}
    return options


class FumbleBot(commands.Bot):
    """The bot, with its injected dependencies."""

    def __init__(
        self,
        *,
        settings: BotSettings,
        deps: BotDeps,
        intents: discord.Intents | None = None,
        **options: Any,
    ) -> None:
        super().__init__(
            command_prefix=commands.when_mentioned,
            intents=intents or default_intents(message_content=settings.message_content),
            tree_cls=FumbleTree,
            help_command=None,
            # Relayed VTT chat and roll labels are player text: never let them ping.
            allowed_mentions=discord.AllowedMentions.none(),
            **_traced(deps, options),
        )
        self.settings = settings
        self.deps = deps
        self.reporter = deps.reporter
        self.rng = deps.rng
        self.dice_limits = deps.dice_limits
        self._channels = ChannelDirectory(deps.core) if deps.core is not None else None

    @property
    def core(self) -> CoreClient:
        """Return the Core client, or refuse when this bot runs without one."""
        if self.deps.core is None:
            raise UserFacingError("This FumbleBot has no connection to its storage configured.")
        return self.deps.core

    @property
    def channels(self) -> ChannelDirectory:
        """Return the channel -> campaign directory."""
        if self._channels is None:
            raise UserFacingError("This FumbleBot has no connection to its storage configured.")
        return self._channels

    async def setup_hook(self) -> None:
        """Load the cogs and sync slash commands."""
        from bot.cogs import load_cogs

        await load_cogs(self)
        if self.settings.sync_commands:
            guild = (
                discord.Object(self.settings.dev_guild_id) if self.settings.dev_guild_id else None
            )
            if guild is not None:
                self.tree.copy_global_to(guild=guild)
            synced = await self.tree.sync(guild=guild)
            log.info("synced %d slash commands", len(synced))

    async def on_ready(self) -> None:
        """Log who we are once connected."""
        log.info("logged in to Discord as %s", self.user)


class ShardedFumbleBot(FumbleBot, commands.AutoShardedBot):
    """FumbleBot over several gateway shards, for bots in many guilds."""


def default_intents(*, message_content: bool = True) -> discord.Intents:
    """Return the gateway intents FumbleBot needs."""
    intents = discord.Intents.default()
    # Inline [[rolls]] and the chat relay read what players write in linked
    # channels; this is a privileged intent to enable in the Developer Portal.
    intents.message_content = message_content
    return intents


def create_bot(
    *, settings: BotSettings, deps: BotDeps, intents: discord.Intents | None = None
) -> FumbleBot:
    """Return the bot, sharded when the configuration asks for shards."""
    if settings.shard_count > 0:
        return ShardedFumbleBot(
            settings=settings, deps=deps, intents=intents, shard_count=settings.shard_count
        )
    return FumbleBot(settings=settings, deps=deps, intents=intents)
