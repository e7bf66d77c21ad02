"""`/overlay create | list | revoke`: stream overlay links for a campaign, GM only.

An overlay key lets an OBS browser source show the campaign's public rolls
(`bridge.overlay`). The URL holds the key, so it is shown once, privately,
to the GM who asked; `/overlay revoke` ends every page using it at once.
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from bot.campaigns import ChannelBinding
from bot.cogs.common import Interaction, before_reply, require_binding, require_gm
from bot.cogs.errors import UserFacingError
from bridge.overlay.feed import announce_revoked
from bridge.overlay.keys import (
    create_overlay_key,
    list_overlay_keys,
    revoke_overlay_key,
)
from core_client import CoreClientError

if TYPE_CHECKING:
    from bot.bot import FumbleBot

log = logging.getLogger(__name__)

NO_BRIDGE = "The VTT bridge is not running with this FumbleBot."


class OverlayCog(commands.GroupCog, group_name="overlay"):
    """Overlay keys for streamers' OBS browser sources."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot
        super().__init__()

    @app_commands.command(name="create", description="Get a stream overlay link (GM only)")
    @app_commands.guild_only()
    async def create(self, interaction: Interaction) -> None:
        """Make a read-only overlay key for this campaign and show its URL privately."""
        async with before_reply():
            binding = await require_binding(interaction)
            require_gm(interaction, binding)
            games = await self._games(binding)
        deps = self.bot.deps
        if deps.store is None or deps.bridge_url is None:
            raise UserFacingError(NO_BRIDGE)
        key, record = await create_overlay_key(
            deps.store, binding.campaign_id, games, str(interaction.user.id)
        )
        await interaction.response.send_message(
            f"Stream overlay for **{binding.campaign['name']}** (`{record.key_id}`):\n"
            f"<{deps.bridge_url}/overlay/{key}>\n"
            "In OBS add a **Browser Source** with this URL, 1920×1080. It shows public "
            "rolls only. Keep the link to yourself: anyone with it can watch the rolls. "
            f"`/overlay revoke {record.key_id}` turns it off.",
            ephemeral=True,
        )

    @app_commands.command(name="list", description="List this campaign's overlay links (GM only)")
    @app_commands.guild_only()
    async def list_keys(self, interaction: Interaction) -> None:
        """Show the ids of the campaign's live overlay keys (never the keys)."""
        async with before_reply():
            binding = await require_binding(interaction)
            require_gm(interaction, binding)
        store = self.bot.deps.store
        if store is None:
            raise UserFacingError(NO_BRIDGE)
        keys = await list_overlay_keys(store, binding.campaign_id)
        if not keys:
            message = "This campaign has no overlay links. `/overlay create` makes one."
        else:
            lines = [
                f"`{k.key_id}` made by <@{k.created_by}> <t:{int(k.created_at)}:R>" for k in keys
            ]
            message = "Overlay links of this campaign:\n" + "\n".join(lines)
        await interaction.response.send_message(message, ephemeral=True)

    @app_commands.command(name="revoke", description="Turn off an overlay link (GM only)")
    @app_commands.describe(key_id="The link's id, as /overlay list shows it (ovl_…)")
    @app_commands.guild_only()
    async def revoke(
        self, interaction: Interaction, key_id: app_commands.Range[str, 1, 64]
    ) -> None:
        """Revoke one of the campaign's overlay keys; its pages stop at once."""
        async with before_reply():
            binding = await require_binding(interaction)
            require_gm(interaction, binding)
        deps = self.bot.deps
        if deps.store is None or deps.bus is None:
            raise UserFacingError(NO_BRIDGE)
        record = await revoke_overlay_key(deps.store, binding.campaign_id, key_id.strip())
        if record is None:
            raise UserFacingError(
                f"This campaign has no overlay link `{key_id}`. `/overlay list` shows them."
            )
        await announce_revoked(deps.bus, record)
        await interaction.response.send_message(
            f"Overlay link `{record.key_id}` is off; pages using it say so.", ephemeral=True
        )

    async def _games(self, binding: ChannelBinding) -> list[str]:
        """Return the games of the campaign: every channel bound to it, this one first."""
        games = [binding.game_id]
        core = self.bot.deps.core
        if core is None:
            return games
        try:
            links = await core.game_links(campaign_id=binding.campaign_id)
        except CoreClientError as exc:
            log.warning("game links of campaign %s unavailable: %s", binding.campaign_id, exc)
            return games
        live = [ChannelBinding(binding.campaign, link) for link in links if not link["archived_at"]]
        return list(dict.fromkeys([*games, *(b.game_id for b in live)]))
