"""The bot's settings (`[discord]`), declared once (the outbox's are in `core_client`)."""

from __future__ import annotations

from dataclasses import dataclass

from core_client.settings import setting


@dataclass(frozen=True, slots=True)
class BotSettings:
    """Everything the Discord side needs beyond its injected resources."""

    sync_commands: bool = setting(True, "sync slash commands with Discord at start-up")
    dev_guild_id: int = setting(0, "sync commands to this guild only (0 = globally)", min=0)
    shard_count: int = setting(0, "shards; 0 = one unsharded connection", min=0, max=10_000)
    # The bot mints the codes (the bridge only redeems them), so the bot owns their lifetime.
    pairing_code_seconds: float = setting(
        600.0, "how long a /link pairing code for the VTT extensions lives", min=10
    )
    # Privileged: it must be switched on in the Developer Portal. Without it
    # every slash command works; only what reads players' messages does not.
    message_content: bool = setting(
        True, "ask for the Message Content intent (inline [[rolls]], Discord-to-VTT chat relay)"
    )
    token: str | None = setting(None, "the bot's token; without it Discord is off", secret=True)
