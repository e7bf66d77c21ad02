"""The one exception hierarchy of the FumbleBot service (bot and CLI).

`FumbleBotError` is the root. The commands' `UserFacingError` derives from it
in `bot/cogs/errors.py`, apart from this module so that the CLI, which
imports this one, does not import discord.py.
"""

from __future__ import annotations


class FumbleBotError(Exception):
    """Base of every error the service raises on purpose."""


class ConfigError(FumbleBotError):
    """A setting is invalid; the message is one line: key, problem, fix."""

    def __init__(self, key: str, problem: str, fix: str) -> None:
        self.key = key
        super().__init__(f"config error: {key}: {problem}. Fix: {fix}")
