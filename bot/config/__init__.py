"""FumbleBot's configuration: every package's settings type, filled once at start-up."""

from __future__ import annotations

from bot.config.load import load
from bot.config.render import describe, template
from bot.config.schema import Settings

__all__ = ["Settings", "describe", "load", "template"]
