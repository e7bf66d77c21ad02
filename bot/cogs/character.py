"""`/character import | list | show | use`: the campaign's characters."""

from __future__ import annotations

from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.campaigns import ChannelBinding, active_character, campaign_settings
from bot.characters import MAX_BYTES, CharacterImportError, parse_character
from bot.cogs.common import Interaction, before_reply, require_binding
from bot.cogs.errors import UserFacingError
from bot.embeds import character_embed, clip
from core_client import CoreClientError
from core_client.contract.answers import CharacterDict
from core_client.errors import ConflictError

if TYPE_CHECKING:
    from bot.bot import FumbleBot


class CharacterCog(commands.GroupCog, group_name="character"):
    """Characters: import, browse, and choose the one you play."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot
        super().__init__()

    async def _characters(self, binding: ChannelBinding) -> list[CharacterDict]:
        context = await self.bot.core.campaign_context(
            binding.campaign_id, recent_rolls=1, sheets=False
        )
        return [c for c in context["characters"] if c["archived_at"] is None]

    async def _find(self, binding: ChannelBinding, name_or_id: str) -> CharacterDict:
        characters = await self._characters(binding)
        for character in characters:
            if name_or_id in (character["id"], character["name"]):
                return character
        folded = name_or_id.casefold()
        for character in characters:
            if character["name"].casefold() == folded:
                return character
        raise UserFacingError(f"No character called '{clip(name_or_id, 100)}' in this campaign.")

    @app_commands.command(name="import", description="Import a DiceCloud, Foundry or Roll20 export")
    @app_commands.describe(file="The character's JSON export")
    async def import_(self, interaction: Interaction, file: discord.Attachment) -> None:
        """Read an exported sheet and store it in the campaign."""
        if file.size > MAX_BYTES:  # known before deferring: refused as a private first reply
            raise UserFacingError(
                f"That file is too large for a character sheet ({MAX_BYTES // 1000} kB at most)."
            )
        async with before_reply():
            binding = await require_binding(interaction)
        await interaction.response.defer(thinking=True)
        try:
            imported = parse_character(await file.read())
        except CharacterImportError as exc:
            raise UserFacingError(f"I couldn't import that: {exc}.") from exc
        character = await self.bot.core.create_character(
            binding.campaign_id,
            name=imported.name,
            source_platform=imported.source_platform,
            source_json=imported.source,
            roll20_json=imported.roll20,
            foundry_json=imported.foundry,
            stats=imported.stats,
            owner_discord_id=str(interaction.user.id),
        )
        await interaction.followup.send(
            content=f"Imported **{discord.utils.escape_markdown(character['name'])}**. "
            "`/character use` makes it yours for rolls and the AI.",
            embed=character_embed(character),
        )

    @app_commands.command(name="list", description="List the campaign's characters")
    async def list_(self, interaction: Interaction) -> None:
        """List characters, marking the caller's active one."""
        async with before_reply():
            binding = await require_binding(interaction)
            characters = await self._characters(binding)
        if not characters:
            await interaction.response.send_message(
                "No characters yet. `/character import` adds one.", ephemeral=True
            )
            return
        mine = active_character(binding.campaign, interaction.user.id)
        lines = [
            f"{'▶ ' if c['id'] == mine else '• '}{discord.utils.escape_markdown(c['name'])}"
            for c in characters
        ]
        embed = discord.Embed(
            title=clip(f"Characters of {binding.campaign['name']}", 256),
            description=clip("\n".join(lines), 4096),
        )
        await interaction.response.send_message(embed=embed, ephemeral=True)

    @app_commands.command(name="show", description="Show a character's sheet")
    @app_commands.describe(name="The character")
    async def show(self, interaction: Interaction, name: str) -> None:
        """Show one character."""
        async with before_reply():
            binding = await require_binding(interaction)
            character = await self._find(binding, name)
        await interaction.response.send_message(embed=character_embed(character))

    @app_commands.command(name="use", description="Play this character for rolls and the AI")
    @app_commands.describe(name="The character")
    async def use(self, interaction: Interaction, name: str) -> None:
        """Make a character the caller's active one in this campaign."""
        async with before_reply():
            binding = await require_binding(interaction)
            character = await self._find(binding, name)
            await self._set_active(interaction, binding, character["id"])
        await interaction.response.send_message(
            f"You now play **{discord.utils.escape_markdown(character['name'])}** here.",
            ephemeral=True,
        )

    async def _set_active(
        self, interaction: Interaction, binding: ChannelBinding, cid: str
    ) -> None:
        campaign = binding.campaign
        for _ in range(3):  # optimistic locking: re-read and retry on a concurrent change
            chosen = dict(campaign["settings"].get("active_characters") or {})
            chosen[str(interaction.user.id)] = cid
            try:
                await self.bot.core.update_campaign(
                    campaign["id"],
                    campaign["version"],
                    settings=campaign_settings(campaign, active_characters=chosen),
                )
            except ConflictError:
                campaign = await self.bot.core.get_campaign(campaign["id"])
                continue
            self.bot.channels.forget(interaction.channel_id or 0)
            return
        raise UserFacingError("The campaign kept changing; please try again.")

    @show.autocomplete("name")
    @use.autocomplete("name")
    async def character_names(
        self, interaction: Interaction, current: str
    ) -> list[app_commands.Choice[str]]:
        """Suggest the campaign's characters by name."""
        if interaction.channel_id is None:
            return []
        try:
            binding = await self.bot.channels.binding(interaction.channel_id)
            if binding is None:
                return []
            characters = await self._characters(binding)
        except (CoreClientError, UserFacingError):
            return []
        wanted = current.casefold()
        return [
            app_commands.Choice(name=clip(c["name"], 100), value=c["id"])
            for c in characters
            if wanted in c["name"].casefold()
        ][:25]
