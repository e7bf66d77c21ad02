"""FumbleBot's configuration: typed, frozen, parsed once at start-up."""

from __future__ import annotations

from bot.config.load import describe, load
from bot.config.schema import Settings

__all__ = ["Settings", "describe", "load"]
