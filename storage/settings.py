"""Core's typed settings, filled once by the configuration loader."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass(frozen=True, slots=True)
class ApiKeyGrant:
    """An API key that sees only some campaigns (by id or external key)."""

    key: str = field(repr=False)
    campaigns: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class CoreSettings:
    """Everything Core needs to start.

    `api_keys` are service keys that see every campaign; `scoped_api_keys`
    see only the campaigns they name. `encryption_key` (base64 of 32 bytes,
    which the CLI reads from FUMBLEBOT_CORE_ENCRYPTION_KEY) encrypts VTT
    credentials.
    """

    database_url: str
    signing_secrets: tuple[str, ...] = field(repr=False)
    api_keys: tuple[str, ...] = field(default=(), repr=False)
    scoped_api_keys: tuple[ApiKeyGrant, ...] = ()
    encryption_key: str | None = field(default=None, repr=False)
    max_body_bytes: int = 1_048_576
    max_query_body_bytes: int = 262_144
    timestamp_tolerance: int = 300
    echo_sql: bool = False
