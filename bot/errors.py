"""The one exception hierarchy of the FumbleBot service (bot and CLI).

`FumbleBotError` is the root. `UserFacingError` is also discord.py's
`AppCommandError`, so a command raising it reaches the command tree's error
handler (`bot.bot.FumbleTree.on_error`) as itself and is shown to the user.
"""

from __future__ import annotations

from discord import app_commands


class FumbleBotError(Exception):
    """Base of every error the service raises on purpose."""


class ConfigError(FumbleBotError):
    """A setting is invalid; the message is one line: key, problem, fix."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key = key
        super().__init__(f"config error: {key}: {problem}. Fix: {fix}")


class UserFacingError(FumbleBotError, app_commands.AppCommandError):
    """An error whose message is written for the player and shown as is."""
