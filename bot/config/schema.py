"""Every setting FumbleBot has, as typed, frozen sections.

`config.toml` mirrors these sections key for key; each key can also be set
from the environment as `FUMBLEBOT_<SECTION>_<KEY>`. Secrets are not here:
they live in `Secrets`, filled from the environment only.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


def setting(default: Any, help: str, **rules: Any) -> Any:
    """Declare a setting with its default, a one-line help and validation rules."""
    return field(default=default, metadata={"help": help, **rules})


@dataclass(frozen=True, slots=True)
class PathsSection:
    data_dir: str = setting("data", "folder for the SQLite database, outbox and other state")


@dataclass(frozen=True, slots=True)
class LoggingSection:
    level: str = setting(
        "INFO", "log level", choices=("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
    )


@dataclass(frozen=True, slots=True)
class CoreSection:
    host: str = setting("127.0.0.1", "address Core listens on")
    port: int = setting(8710, "port Core listens on", min=1, max=65535)
    url: str = setting("", "Core's base URL for bot and bridge; empty means http://host:port")
    database_url: str = setting("", "SQLAlchemy URL; empty means a SQLite file in data_dir")
    max_body_bytes: int = setting(1_048_576, "largest webhook body accepted", min=1024)
    timestamp_tolerance: int = setting(300, "webhook clock skew allowed, seconds", min=1)


@dataclass(frozen=True, slots=True)
class BridgeSection:
    host: str = setting("127.0.0.1", "address the bridge listens on")
    port: int = setting(8711, "port the bridge listens on", min=1, max=65535)
    event_bus: str = setting("memory", "event bus backend", choices=("memory", "redis"))
    redis_url: str = setting("redis://127.0.0.1:6379/0", "Redis URL for event_bus = redis")
    redis_prefix: str = setting("fb:bridge", "prefix of the bridge's Redis keys and streams")
    subscriber_queue: int = setting(256, "events buffered per SSE client", min=1, max=100_000)
    history_per_topic: int = setting(
        1000, "events kept per game for clients resuming with Last-Event-ID", min=1
    )
    history_seconds: float = setting(900.0, "longest an event is kept for resuming", min=1)
    rate_per_second: float = setting(5.0, "requests per second per extension token", min=0.1)
    rate_burst: int = setting(30, "requests an extension token may make at once", min=1)
    heartbeat_seconds: float = setting(15.0, "SSE heartbeat interval", min=1, max=60)
    max_body_bytes: int = setting(262_144, "largest request body accepted", min=1024)
    cors_origins: tuple[str, ...] = setting(
        ("https://app.roll20.net", "https://www.dndbeyond.com", "https://www.owlbear.rodeo"),
        "origins allowed to call the bridge from a browser",
    )


@dataclass(frozen=True, slots=True)
class DiscordSection:
    sync_commands: bool = setting(True, "sync slash commands with Discord at start-up")
    dev_guild_id: int = setting(0, "sync commands to this guild only (0 = globally)", min=0)
    shard_count: int = setting(0, "shards; 0 = one unsharded connection", min=0, max=10_000)


@dataclass(frozen=True, slots=True)
class DiceSection:
    max_input_length: int = setting(1000, "longest roll expression", min=1, max=100_000)
    max_depth: int = setting(50, "deepest nesting of parentheses and groups", min=1, max=200)
    max_dice: int = setting(1000, "dice per roll, rerolls and explosions included", min=1)
    max_sides: int = setting(10_000, "largest die", min=2, max=10**9)
    max_repeat: int = setting(20, "most repeats of one expression", min=1, max=100)


@dataclass(frozen=True, slots=True)
class OutboxSection:
    max_events: int = setting(100_000, "events kept while Core is unreachable", min=10)
    batch_size: int = setting(100, "events per delivery", min=1, max=500)
    max_delay: float = setting(60.0, "longest wait between retries, seconds", min=0.1)


@dataclass(frozen=True, slots=True)
class AISection:
    provider: str = setting(
        "none", "AI provider for /ask and /recap", choices=("none", "openai", "anthropic")
    )
    base_url: str = setting(
        "", "OpenAI-compatible (e.g. a local server's /v1) or Anthropic base URL; empty = the API"
    )
    chat_model: str = setting("", "model for /ask; empty = the provider's default")
    rules_model: str = setting("", "model for rules lookups; empty = the provider's default")
    recap_model: str = setting("", "model for /recap; empty = the provider's default")
    max_tokens: int = setting(800, "longest answer, tokens", min=16, max=32000)
    timeout: float = setting(30.0, "seconds to wait for each provider response", min=0.1, max=600)
    max_retries: int = setting(2, "retries on 429/5xx/timeouts", min=0, max=5)
    deadline: float = setting(
        120.0, "longest a whole answer may take, retries included, seconds", min=1, max=900
    )
    context_tokens: int = setting(
        3000, "campaign-context budget, tokens (estimated as chars/4)", min=200, max=200_000
    )
    memory_ttl: float = setting(1800.0, "seconds a channel's conversation is remembered", min=0)
    memory_turns: int = setting(6, "question/answer turns remembered per channel", min=0, max=50)
    user_requests_per_minute: int = setting(
        5, "AI requests per user per minute; 0 = no limit", min=0
    )
    guild_requests_per_minute: int = setting(
        30, "AI requests per server per minute; 0 = no limit", min=0
    )
    user_daily_tokens: int = setting(50_000, "tokens per user per UTC day; 0 = no limit", min=0)
    guild_daily_tokens: int = setting(500_000, "tokens per server per UTC day; 0 = no limit", min=0)


@dataclass(frozen=True, slots=True)
class Secrets:
    """Secrets, read from the environment only and never printed."""

    discord_token: str | None = field(default=None, repr=False)
    webhook_secrets: tuple[str, ...] = field(default=(), repr=False)
    core_api_key: str | None = field(default=None, repr=False)
    core_encryption_key: str | None = field(default=None, repr=False)
    redis_password: str | None = field(default=None, repr=False)
    openai_api_key: str | None = field(default=None, repr=False)
    anthropic_api_key: str | None = field(default=None, repr=False)


# Secret name -> environment variable. The AI keys use the SDKs' own names.
SECRET_ENV = {
    "discord_token": "FUMBLEBOT_DISCORD_TOKEN",
    "webhook_secrets": "FUMBLEBOT_WEBHOOK_SECRETS",
    "core_api_key": "FUMBLEBOT_CORE_API_KEY",
    "core_encryption_key": "FUMBLEBOT_CORE_ENCRYPTION_KEY",
    "redis_password": "FUMBLEBOT_REDIS_PASSWORD",
    "openai_api_key": "OPENAI_API_KEY",
    "anthropic_api_key": "ANTHROPIC_API_KEY",
}


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole configuration, parsed once at start-up."""

    paths: PathsSection = field(default_factory=PathsSection)
    logging: LoggingSection = field(default_factory=LoggingSection)
    core: CoreSection = field(default_factory=CoreSection)
    bridge: BridgeSection = field(default_factory=BridgeSection)
    discord: DiscordSection = field(default_factory=DiscordSection)
    dice: DiceSection = field(default_factory=DiceSection)
    outbox: OutboxSection = field(default_factory=OutboxSection)
    ai: AISection = field(default_factory=AISection)
    secrets: Secrets = field(default_factory=Secrets, repr=False)

    @property
    def core_url(self) -> str:
        """Return the URL bot and bridge report to."""
        return self.core.url or f"http://{self.core.host}:{self.core.port}"

    @property
    def database_url(self) -> str:
        """Return Core's database URL, defaulting to a SQLite file in data_dir."""
        return self.core.database_url or f"sqlite+aiosqlite:///{self.paths.data_dir}/core.sqlite3"

    @property
    def outbox_path(self) -> str:
        """Return the outbox file's path."""
        return f"{self.paths.data_dir}/outbox.sqlite3"
