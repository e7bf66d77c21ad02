"""The error a command raises to tell the player something, shown as is.

`UserFacingError` is both the service's `FumbleBotError` and discord.py's
`AppCommandError`, so a command raising it reaches the command tree's error
handler (`bot.bot.FumbleTree.on_error`) as itself and is shown to the user.
"""

from __future__ import annotations

from discord import app_commands

from bot.errors import FumbleBotError


class UserFacingError(FumbleBotError, app_commands.AppCommandError):
    """An error whose message is written for the player and shown as is."""
