"""The configuration as a whole: one section per package, each the package's own settings type.

Nothing is declared twice: a section's keys, types, defaults, help, rules and
secrets are those of its type (see `core_client.settings.setting`). This
module only names the sections and declares the composition root's own
two, `[paths]` and `[logging]`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from bot.ai.settings import AISettings
from bot.logs import LogFormat
from bot.settings import BotSettings
from bridge.settings import BridgeSettings
from core_client.dice.limits import Limits
from core_client.outbox_settings import OutboxSettings
from core_client.settings import setting
from storage.settings import CoreSettings

LogLevel = Literal["DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL"]


@dataclass(frozen=True, slots=True)
class PathsSettings:
    """Where state lives on disk."""

    data_dir: str = setting(
        "data", "folder for the SQLite database, outbox and other state", example="/var/lib/fb"
    )


@dataclass(frozen=True, slots=True)
class LoggingSettings:
    """How much the process logs."""

    level: LogLevel = setting("INFO", "log level")
    format: LogFormat = setting("text", "log lines as text, or json: one JSON object a line")


@dataclass(frozen=True, slots=True)
class Settings:
    """The whole configuration, parsed once at start-up; `[section]` = field name."""

    paths: PathsSettings = field(default_factory=PathsSettings)
    logging: LoggingSettings = field(default_factory=LoggingSettings)
    core: CoreSettings = field(default_factory=CoreSettings)
    bridge: BridgeSettings = field(default_factory=BridgeSettings)
    discord: BotSettings = field(default_factory=BotSettings)
    dice: Limits = field(default_factory=Limits)
    outbox: OutboxSettings = field(default_factory=OutboxSettings)
    ai: AISettings = field(default_factory=AISettings)

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

    @property
    def relay_path(self) -> str:
        """Return the file of relayed lines not yet posted to Discord."""
        return f"{self.paths.data_dir}/relay.sqlite3"

    @property
    def bridge_state_path(self) -> str:
        """Return the bridge's state file (tokens, links), used with the in-process bus."""
        return f"{self.paths.data_dir}/bridge.sqlite3"
