"""`/link` and `/unlink`: pair a VTT browser extension with the player's account."""

from __future__ import annotations

from typing import TYPE_CHECKING

from discord import app_commands
from discord.ext import commands

from bot.cogs.common import Interaction, before_reply, member_is_gm, require_binding
from bot.cogs.errors import UserFacingError
from bridge.links import unlink_user
from bridge.pairing import create_pairing_code

if TYPE_CHECKING:
    from bot.bot import FumbleBot


class LinkCog(commands.Cog):
    """Pairing codes for the VTT extensions."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot

    @app_commands.command(name="link", description="Get a code to pair your VTT extension")
    async def link(self, interaction: Interaction) -> None:
        """Show the player a one-time pairing code, privately."""
        async with before_reply():
            binding = await require_binding(interaction)
        store = self.bot.deps.store
        if store is None:
            raise UserFacingError("The VTT bridge is not running with this FumbleBot.")
        code = await create_pairing_code(
            store,
            str(interaction.user.id),
            binding.campaign_id,
            [binding.game_id],
            user_name=interaction.user.display_name,
            gm=member_is_gm(interaction, binding),
            ttl=self.bot.settings.pairing_code_seconds,
        )
        await interaction.response.send_message(
            f"Your pairing code for **{binding.campaign['name']}** is `{code.code}`.\n"
            # Discord renders <t:…:R> as "in 10 minutes": no preposition before it.
            "Enter it in the FumbleBot extension inside your VTT. It works once and "
            f"expires <t:{int(code.expires_at)}:R>.",
            ephemeral=True,
        )

    @app_commands.command(name="unlink", description="Disconnect your VTT extensions here")
    async def unlink(self, interaction: Interaction) -> None:
        """Revoke every extension token of the player in this campaign."""
        async with before_reply():
            binding = await require_binding(interaction)
        deps = self.bot.deps
        if deps.store is None or deps.bus is None:
            raise UserFacingError("The VTT bridge is not running with this FumbleBot.")
        grants = await unlink_user(
            deps.store, deps.bus, deps.reporter, str(interaction.user.id), binding.campaign_id
        )
        if not grants:
            message = "You had no linked extensions in this campaign."
        else:
            message = f"Unlinked {len(grants)} extension{'s' if len(grants) > 1 else ''}."
        await interaction.response.send_message(message, ephemeral=True)
