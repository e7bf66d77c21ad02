"""`/ask` and `/recap`: the AI game assistant, streamed into Discord.

The cog resolves the channel's campaign, fetches its context from Core in one
call and hands everything to `bot.ai`, which checks limits, builds the prompt
and streams the answer; edits are paced and split by `bot.ai.pages`.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

import discord
from discord import app_commands
from discord.ext import commands

from bot.ai import AIError, AIService, AnswerStream, StreamPacer, stream_pages
from bot.campaigns import ChannelBinding, active_character, gm_discord_id
from bot.cogs.common import Interaction, before_reply, require_binding
from bot.cogs.errors import UserFacingError

if TYPE_CHECKING:
    from bot.bot import FumbleBot

RECAP_ROLLS = 100
RECAP_CHAT = 300  # the prompt budget trims further, keeping notes first


class InteractionPages:
    """Show answer pages: page 0 in the deferred response, the rest as follow-ups."""

    def __init__(self, interaction: Interaction, *, ephemeral: bool) -> None:
        self._interaction = interaction
        self._ephemeral = ephemeral
        self._followups: dict[int, discord.WebhookMessage] = {}

    async def show(self, index: int, content: str) -> None:
        """Create or edit page `index`."""
        if index == 0:
            await self._interaction.edit_original_response(content=content)
        elif index in self._followups:
            await self._followups[index].edit(content=content)
        else:
            self._followups[index] = await self._interaction.followup.send(
                content, ephemeral=self._ephemeral, wait=True
            )


class AskCog(commands.Cog):
    """The AI game assistant."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot

    def _ai(self) -> AIService:
        ai = self.bot.deps.ai
        if ai is None or not ai.available:
            raise UserFacingError(
                "The AI assistant is not configured. Set `[ai] provider` to openai or anthropic "
                "and OPENAI_API_KEY or ANTHROPIC_API_KEY in FumbleBot's environment."
            )
        return ai

    @app_commands.command(name="ask", description="Ask the AI about your campaign")
    @app_commands.describe(question="Your question", private="Show the answer only to you")
    async def ask(
        self,
        interaction: Interaction,
        question: app_commands.Range[str, 1, 1500],
        private: bool = False,
    ) -> None:
        """Answer a question from the campaign's context."""
        ai = self._ai()
        async with before_reply():
            binding = await require_binding(interaction)
        await interaction.response.defer(ephemeral=private, thinking=True)
        context = await self._context(binding, interaction.user.id)
        context.update(await _people(interaction, binding))
        try:
            stream = await ai.ask(question, campaign_context=context, **_who(interaction, binding))
            await _stream(interaction, stream, ephemeral=private)
        except AIError as exc:
            # Through the tree's handler, which keeps it private after a public defer.
            raise UserFacingError(str(exc)) from exc

    @app_commands.command(name="recap", description="Summarise the last game session")
    async def recap(self, interaction: Interaction) -> None:
        """Recap the open session, or the last one that ended."""
        ai = self._ai()
        async with before_reply():
            binding = await require_binding(interaction)
        await interaction.response.defer(thinking=True)
        data = {**await self._session_data(binding), **await _people(interaction, binding)}
        try:
            stream = await ai.recap(data, **_who(interaction, binding))
            await _stream(interaction, stream, ephemeral=False)
        except AIError as exc:
            # Through the tree's handler, which keeps it private after a public defer.
            raise UserFacingError(str(exc)) from exc

    async def _context(self, binding: ChannelBinding, user_id: int) -> dict[str, Any]:
        context: dict[str, Any] = dict(
            await self.bot.core.campaign_context(binding.campaign_id, sheets=False)
        )
        mine = active_character(binding.campaign, user_id)
        context["active_character"] = next(
            (c for c in context.get("characters", []) if c["id"] == mine), None
        )
        return context

    async def _session_data(self, binding: ChannelBinding) -> Mapping[str, Any]:
        core = self.bot.core
        sessions = await core.sessions(binding.campaign_id, limit=1)
        if not sessions:
            raise UserFacingError("There is no session to recap yet. `/session start` one.")
        session = sessions[0]
        page = await core.rolls(
            campaign_id=binding.campaign_id, session_id=session["id"], limit=RECAP_ROLLS
        )
        chat = await core.chat(
            binding.campaign_id,
            since=session["started_at"],
            until=session["ended_at"],
            limit=RECAP_CHAT,
        )
        return {
            "campaign": binding.campaign,
            "session": session,
            "chat": chat["chat"],
            "rolls": page["rolls"],
        }


async def _people(interaction: Interaction, binding: ChannelBinding) -> dict[str, str]:
    """Return the display names the AI reads instead of Discord ids: asker and GM."""
    people = {"asking_player": interaction.user.display_name}
    gm_id, guild = gm_discord_id(binding.campaign), interaction.guild
    if gm_id and guild is not None:
        try:
            gm = guild.get_member(int(gm_id)) or await guild.fetch_member(int(gm_id))
        except discord.HTTPException:
            return people  # the GM left the server: the prompt does without
        people["gm"] = gm.display_name
    return people


def _who(interaction: Interaction, binding: ChannelBinding) -> dict[str, Any]:
    return {
        "campaign_id": binding.campaign_id,
        "user_id": str(interaction.user.id),
        "guild_id": str(interaction.guild_id) if interaction.guild_id else None,
        "channel_id": str(interaction.channel_id),
    }


async def _stream(interaction: Interaction, stream: AnswerStream, *, ephemeral: bool) -> None:
    sink = InteractionPages(interaction, ephemeral=ephemeral)
    await stream_pages(stream, sink, pacer=StreamPacer())
