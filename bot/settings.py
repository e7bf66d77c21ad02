"""The bot's typed settings, filled once by the composition root."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class BotSettings:
    """Everything the Discord side needs beyond its injected resources."""

    sync_commands: bool = True
    dev_guild_id: int = 0
    shard_count: int = 0
