"""The bot's cogs: thin adapters from Discord commands to the domain."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from bot.bot import FumbleBot


async def load_cogs(bot: FumbleBot) -> None:
    """Add every cog whose dependencies this bot has."""
    from bot.cogs.ask import AskCog
    from bot.cogs.campaign import CampaignCog
    from bot.cogs.character import CharacterCog
    from bot.cogs.ic import InCharacterCog
    from bot.cogs.link import LinkCog
    from bot.cogs.overlay import OverlayCog
    from bot.cogs.relay import RelayCog
    from bot.cogs.roll import RollAgainButton, RollCog
    from bot.cogs.session import SessionCog
    from bot.cogs.stats import StatsCog

    await bot.add_cog(RollCog(bot))
    bot.add_dynamic_items(RollAgainButton)
    # These need Core; without it (a bare `roll`-only bot) they would only fail.
    if bot.deps.core is not None:
        for cog in (CampaignCog, SessionCog, CharacterCog, StatsCog, InCharacterCog, AskCog):
            await bot.add_cog(cog(bot))
        await bot.add_cog(LinkCog(bot))
        await bot.add_cog(OverlayCog(bot))
        await bot.add_cog(RelayCog(bot))
