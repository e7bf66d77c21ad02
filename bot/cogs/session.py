"""`/session start | end | note`: game session records the AI and recaps use."""

from __future__ import annotations

import time
from typing import TYPE_CHECKING

import discord
from discord import app_commands
from discord.ext import commands

from bot.cogs.common import Interaction, before_reply, require_binding, require_gm
from bot.cogs.errors import UserFacingError
from bot.embeds import clip
from core_client.contract.answers import SessionDict

if TYPE_CHECKING:
    from bot.bot import FumbleBot


class SessionCog(commands.GroupCog, group_name="session"):
    """Game session records."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot
        super().__init__()

    async def _open_session(self, campaign_id: str) -> SessionDict | None:
        context = await self.bot.core.campaign_context(campaign_id, recent_rolls=1, sheets=False)
        return context["open_session"]

    @app_commands.command(name="start", description="Start a game session in this campaign")
    @app_commands.describe(title="A title for the session, e.g. 'Session 12: The Crypt'")
    async def start(
        self, interaction: Interaction, title: app_commands.Range[str, 1, 200] | None = None
    ) -> None:
        """Open a session; refuse if one is already open."""
        async with before_reply():
            binding = await require_binding(interaction)
            require_gm(interaction, binding)
            if await self._open_session(binding.campaign_id) is not None:
                raise UserFacingError("A session is already running. End it with `/session end`.")
            session = await self.bot.core.start_session(
                binding.campaign_id, title=title, started_at=time.time(), participants=[]
            )
        name = session["title"] or "Session"
        await interaction.response.send_message(
            f"🎬 **{discord.utils.escape_markdown(name)}** has begun."
        )

    @app_commands.command(name="end", description="End the running game session")
    async def end(self, interaction: Interaction) -> None:
        """Close the open session."""
        async with before_reply():
            binding = await require_binding(interaction)
            require_gm(interaction, binding)
            session = await self._open_session(binding.campaign_id)
            if session is None:
                raise UserFacingError("No session is running. Start one with `/session start`.")
            await self.bot.core.update_session(
                session["id"], session["version"], ended_at=time.time()
            )
        notes = len(session["notes"])
        await interaction.response.send_message(
            f"🏁 Session ended with {notes} note{'s' if notes != 1 else ''}. "
            "`/recap` summarises it."
        )

    @app_commands.command(name="note", description="Add a note to the running session")
    @app_commands.describe(text="What happened, or what to remember")
    async def note(self, interaction: Interaction, text: app_commands.Range[str, 1, 1500]) -> None:
        """Append a note to the open session."""
        async with before_reply():
            binding = await require_binding(interaction)
            session = await self._open_session(binding.campaign_id)
            if session is None:
                raise UserFacingError("No session is running. A GM can `/session start` one.")
            await self.bot.core.add_session_note(
                session["id"], session["version"], text, author=interaction.user.display_name
            )
        await interaction.response.send_message(f"📝 Noted: {clip(text, 1800)}", ephemeral=True)
