"""Core's settings, the `[core]` section: declared once, filled by the configuration loader.

Secrets (the webhook signing secrets, the API keys and the encryption key)
are read from the environment only; `scoped_api_keys` is one of them because
it holds keys. See README "Configuration".
"""

from __future__ import annotations

import base64
import binascii
from dataclasses import dataclass, field

from core_client import signing
from core_client.errors import SignatureError
from core_client.settings import Invalid, no_password_in_url, setting

ENCRYPTION_KEY_BYTES = 32
_EXAMPLE_SECRET = "whsec_" + base64.b64encode(bytes(range(32))).decode()
_EXAMPLE_KEY = base64.b64encode(bytes(range(1, 33))).decode()


@dataclass(frozen=True, slots=True)
class ApiKeyGrant:
    """An API key that sees only some campaigns (by id or external key).

    In the environment it is written `KEY:CAMPAIGN[,CAMPAIGN...]`, so a key
    may hold neither `:` nor whitespace, nor a campaign a `,`.
    """

    key: str = field(repr=False)
    campaigns: tuple[str, ...]

    @classmethod
    def from_text(cls, text: str) -> ApiKeyGrant:
        """Return the grant written `KEY:CAMPAIGN[,CAMPAIGN...]`."""
        key, sep, rest = text.partition(":")
        campaigns = tuple(c for c in rest.split(",") if c)
        if not sep or not key or not campaigns:
            raise Invalid(
                "an entry is not KEY:CAMPAIGN[,CAMPAIGN...]",
                "write each key with its campaigns, e.g. k3y:campaign-a,campaign-b",
            )
        return cls(key, campaigns)

    def to_text(self) -> str:
        """Return the grant as written in the environment."""
        return f"{self.key}:{','.join(self.campaigns)}"


def _check_signing_secrets(secrets: tuple[str, ...]) -> None:
    for secret in secrets:
        try:
            signing.decode_secret(secret)
        except SignatureError as exc:
            raise Invalid(str(exc), "generate one with 'fumblebot gen-secret'") from exc


def _check_encryption_key(value: str | None) -> None:
    if value is None:
        return
    try:
        size = len(base64.b64decode(value, validate=True))
    except (binascii.Error, ValueError):
        size = -1
    if size != ENCRYPTION_KEY_BYTES:
        raise Invalid(
            f"must be {ENCRYPTION_KEY_BYTES} random bytes in base64",
            "generate one with 'fumblebot gen-secret --encryption-key'",
        )


@dataclass(frozen=True, slots=True)
class CoreSettings:
    """Everything Core needs to start, and where its clients find it.

    `api_keys` are service keys that see every campaign; `scoped_api_keys`
    see only the campaigns they name. `encryption_key` encrypts VTT
    credentials at rest.
    """

    host: str = setting("127.0.0.1", "address Core listens on")
    port: int = setting(8710, "port Core listens on", min=1, max=65535)
    url: str = setting(
        "",
        "Core's base URL for bot and bridge; empty means http://host:port",
        check=no_password_in_url("http://core:8710", "remove the password from the URL"),
        example="http://core.internal:8710",
    )
    database_url: str = setting(
        "",
        "SQLAlchemy URL; empty means a SQLite file in paths.data_dir",
        check=no_password_in_url(
            "postgresql+asyncpg://host/db",
            "remove it from the URL and set PGPASSWORD in the environment",
        ),
        example="postgresql+asyncpg://db.internal/fumblebot",
    )
    max_body_bytes: int = setting(1_048_576, "largest webhook body accepted", min=1024)
    max_query_body_bytes: int = setting(262_144, "largest query API body accepted", min=1024)
    timestamp_tolerance: int = setting(300, "webhook clock skew allowed, seconds", min=1)
    echo_sql: bool = setting(False, "log every SQL statement (debugging only)")
    signing_secrets: tuple[str, ...] = setting(
        (),
        "whsec_ keys signing reports to Core, space-separated: every key signs, any verifies",
        secret=True,
        env="FUMBLEBOT_WEBHOOK_SECRETS",
        check=_check_signing_secrets,
        example=(_EXAMPLE_SECRET,),
    )
    api_keys: tuple[str, ...] = setting(
        (),
        "Core's query keys (see every campaign), space-separated for rotation; the service"
        " presents the first. Only Core's query API accepts them",
        secret=True,
        env="FUMBLEBOT_CORE_API_KEY",
    )
    scoped_api_keys: tuple[ApiKeyGrant, ...] = setting(
        (),
        "keys that see only the campaigns they name (by id or external key), space-separated,"
        " each KEY:CAMPAIGN[,CAMPAIGN...]",
        secret=True,
        example=(ApiKeyGrant("scoped-key", ("campaign-a", "campaign-b")),),
    )
    encryption_key: str | None = setting(
        None,
        "32 random bytes, base64: encrypts VTT credentials at rest",
        secret=True,
        check=_check_encryption_key,
        example=_EXAMPLE_KEY,
    )
