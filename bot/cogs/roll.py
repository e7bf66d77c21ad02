"""`/roll`: parse the player's options, roll, answer, report to Core.

The cog stays thin: `bot.roll_request` decides what to roll, the dice engine rolls
it, `bot.embeds` formats it. A "Roll again" button carries the whole request
in its custom id, so it keeps working after a restart.
"""

from __future__ import annotations

import asyncio
import io
import logging
import re
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Self

import discord
from discord import app_commands
from discord.ext import commands

from bot import roll_request
from bot.campaigns import gm_discord_id
from bot.cogs.common import Interaction
from bot.cogs.errors import UserFacingError
from bot.embeds import CHART_NAME, roll_embed, stats_embed
from bot.played import Played, played_by
from bot.roll_request import RollRequest
from bot.stats_chart import render_chart
from core_client import CoreClientError, Visibility, dice, dice_refs
from core_client.critrules import Rule
from core_client.dice import Advantage, RollResult
from core_client.dice_records import judged, to_record

if TYPE_CHECKING:
    from bot.bot import FumbleBot

log = logging.getLogger(__name__)


PLACE_BUDGET = 1.5  # seconds of Discord's 3 s window a roll may spend asking Core


@dataclass(frozen=True, slots=True)
class Place:
    """Where a roll is made: its campaign key, GM, crit rules (None: the dice's own), character."""

    campaign: str
    gm_id: str | None = None
    rules: list[Rule] | None = None
    character: Played | None = None


async def place_of(interaction: Interaction) -> Place:
    """Return the campaign a roll here belongs to, with its GM and crit rules."""
    bot = interaction.client
    if interaction.channel_id is not None and bot.deps.core is not None:
        try:
            async with asyncio.timeout(PLACE_BUDGET):
                binding = await bot.channels.binding(interaction.channel_id)
                if binding is not None:
                    rules = await bot.channels.crit_rules(binding.campaign_id)
                    played = await played_by(bot.channels, binding, interaction.user.id)
                    gm = gm_discord_id(binding.campaign)
                    return Place(binding.campaign_id, gm, rules, played)
        except (CoreClientError, TimeoutError):
            # Core is away or slow: the guild key still files the roll, and
            # Core resolves it to the guild's campaign when it stores it.
            log.warning("rolling without the campaign's rules: Core did not answer in time")
    if interaction.guild_id is not None:
        return Place(f"guild:{interaction.guild_id}")
    return Place(f"dm:{interaction.user.id}")


async def resolved(
    interaction: Interaction, request: RollRequest
) -> tuple[RollRequest, Place | None]:
    """Return the request with its `$dex`-style references resolved, and the place if looked up.

    The place (and so the player's character) is looked up first only when
    the expression names a stat; raises `DiceError` for a name that cannot be
    resolved, which every caller reports privately, as a bad expression.
    """
    if not dice_refs.has_refs(request.expression):
        return request, None
    place = await place_of(interaction)
    played = place.character
    expression = dice_refs.resolve(
        request.expression,
        played.stats if played is not None else None,
        character=played.name if played is not None else "",
    )
    return replace(request, expression=expression), place


class RollAgainButton(
    discord.ui.DynamicItem[discord.ui.Button[discord.ui.View]],
    template=r"fb:roll:[nad]:\d{1,3}:[01]:.+",
):
    """A button that rolls the same request again, for whoever clicks it."""

    def __init__(self, request: RollRequest, custom_id: str) -> None:
        button: discord.ui.Button[discord.ui.View] = discord.ui.Button(
            label="Roll again", emoji="🎲", style=discord.ButtonStyle.secondary, custom_id=custom_id
        )
        super().__init__(button)
        self.request = request

    @classmethod
    async def from_custom_id(
        cls,
        interaction: discord.Interaction[Any],
        item: discord.ui.Item[Any],
        match: re.Match[str],
        /,
    ) -> Self:
        """Rebuild the button from a clicked custom id."""
        custom_id = str(getattr(item, "custom_id", ""))
        request = roll_request.request_from_again_id(custom_id)
        if request is None:
            raise app_commands.AppCommandError("this button is not a roll")
        return cls(request, custom_id)

    async def callback(self, interaction: discord.Interaction[Any]) -> None:
        """Roll the request again."""
        await answer_roll(interaction, self.request)


def again_view(request: RollRequest) -> discord.ui.View | None:
    """Return a view holding a "Roll again" button, if the request fits in one."""
    custom_id = roll_request.again_id(request)
    if custom_id is None:
        return None
    view = discord.ui.View(timeout=None)
    view.add_item(RollAgainButton(request, custom_id))
    return view


async def answer_roll(interaction: Interaction, request: RollRequest) -> None:
    """Roll a request and answer the interaction; report each roll to Core."""
    bot = interaction.client
    try:
        rolled, place = await resolved(interaction, request)
        results = roll_request.roll(rolled, rng=bot.rng, limits=bot.dice_limits)
    except dice.DiceError as exc:
        await interaction.response.send_message(f"⚠️ {exc}", ephemeral=True)
        return
    label = roll_request.label_of(request, results[0])
    visibility = Visibility.PRIVATE if request.private else Visibility.PUBLIC
    place = place or await place_of(interaction)
    results = [judged(r, place.rules) for r in results]
    await _report(interaction, place, results, label, visibility)
    roller = place.character.name if place.character else interaction.user.display_name
    embed = roll_embed(results, roller, label)
    view = again_view(request)
    if view is None:
        await interaction.response.send_message(embed=embed, ephemeral=request.private)
    else:
        await interaction.response.send_message(embed=embed, view=view, ephemeral=request.private)
    if request.private:
        await _tell_gm(interaction, embed, place.gm_id)


async def _report(
    interaction: Interaction,
    place: Place,
    results: list[RollResult],
    label: str | None,
    visibility: Visibility,
) -> None:
    # Queued before answering: the outbox write is local and quick, and a roll
    # the player has seen must not be missing in Core.
    for result in results:
        record = to_record(
            result,
            campaign_id=place.campaign,
            actor_id=str(interaction.user.id),
            actor_name=interaction.user.display_name,
            character_id=place.character.id if place.character else None,
            character_name=place.character.name if place.character else None,
            source_message_id=str(interaction.id),
            label=label,
            visibility=visibility,
        )
        try:
            await interaction.client.reporter.put(record.event())
        except CoreClientError:
            log.exception("could not queue roll %s for Core", record.id)


async def _tell_gm(interaction: Interaction, embed: discord.Embed, gm_id: str | None) -> None:
    """Send a private roll to the campaign's GM, saying where it was made.

    Without a campaign there is no GM: the roll stays the roller's alone (the
    server owner is often not the GM, and would get every private roll).
    """
    if gm_id is None or int(gm_id) == interaction.user.id:
        return
    try:
        client = interaction.client
        gm = client.get_user(int(gm_id)) or await client.fetch_user(int(gm_id))
        await gm.send(content=_where(interaction), embed=embed)
    except discord.HTTPException:
        log.warning("could not send a private roll to the GM", exc_info=True)


def _where(interaction: Interaction) -> str:
    """Return the line naming and linking the channel a private roll was made in."""
    guild, channel = interaction.guild, interaction.channel
    name = getattr(channel, "name", None)
    place = f"#{name}" if name else "a channel"
    if guild is not None:
        place += f" of {guild.name}"
    link = f"https://discord.com/channels/{interaction.guild_id or '@me'}/{interaction.channel_id}"
    return f"Private roll by {interaction.user.display_name} in {place}: {link}"


async def answer_stats(interaction: Interaction, request: RollRequest) -> None:
    """Answer with the exact distribution of an expression and its chart."""
    bot = interaction.client
    try:
        request, _ = await resolved(interaction, request)
    except dice.DiceError as exc:  # before deferring: the first reply, private
        await interaction.response.send_message(f"⚠️ {exc}", ephemeral=True)
        return
    await interaction.response.defer(ephemeral=request.private, thinking=True)
    try:
        dist = await asyncio.to_thread(
            dice.distribution, request.expression, bot.dice_limits, advantage=request.advantage
        )
    except dice.DiceError as exc:
        # Through the tree's handler, which keeps it private after a public defer.
        raise UserFacingError(str(exc)) from exc
    chart = await asyncio.to_thread(render_chart, dist)  # Pillow: a few ms, off the loop
    file = discord.File(fp=io.BytesIO(chart), filename=CHART_NAME)
    await interaction.followup.send(embed=stats_embed(dist, with_chart=True), file=file)


class RollCog(commands.Cog):
    """Dice rolling commands."""

    def __init__(self, bot: FumbleBot) -> None:
        self.bot = bot

    @app_commands.command(name="roll", description="Roll dice, e.g. 2d20kh1+5 Attack")
    @app_commands.describe(
        expression="Dice notation, then an optional label; end with 'stats' for the odds",
        label="A label for the roll (replaces any label in the expression)",
        private="Show the roll only to you and the GM",
        repeat="Roll the same expression this many times",
        advantage="Roll the first d20 with advantage or disadvantage",
    )
    @app_commands.choices(
        advantage=[
            app_commands.Choice(name="advantage", value="advantage"),
            app_commands.Choice(name="disadvantage", value="disadvantage"),
        ]
    )
    async def roll(
        self,
        interaction: Interaction,
        expression: app_commands.Range[str, 1, 1000],
        label: app_commands.Range[str, 1, 200] | None = None,
        private: bool = False,
        repeat: app_commands.Range[int, 1, 100] = 1,
        advantage: str | None = None,
    ) -> None:
        """Roll an expression and answer with its breakdown."""
        request = roll_request.request_from(
            expression,
            label=label,
            private=private,
            repeat=repeat,
            advantage=Advantage(advantage) if advantage else Advantage.NONE,
        )
        if request.stats:
            await answer_stats(interaction, request)
        else:
            await answer_roll(interaction, request)
