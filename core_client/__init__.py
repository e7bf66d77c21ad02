"""The SDK that bot and bridge share to talk to Core.

It holds the wire contract (`core_client.contract`), webhook signing, the HTTP client and the
durable outbox. It imports nothing from the other FumbleBot packages.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from core_client.lazy import lazy_exports

if TYPE_CHECKING:
    from core_client.client import CoreClient
    from core_client.contract import (
        AiConversation,
        AiMessage,
        AiProvider,
        AiRole,
        AiUsage,
        CampaignUpserted,
        CharacterUpserted,
        ChatMessage,
        DiceGroup,
        Die,
        Event,
        EventType,
        GameLinkUpserted,
        Platform,
        RollRecord,
        SessionEnded,
        SessionNote,
        SessionStarted,
        UserUpserted,
        Visibility,
        VttAccountLinked,
        VttAccountRevoked,
        VttPlatform,
    )
    from core_client.errors import (
        ApiError,
        AuthError,
        ConflictError,
        CoreClientError,
        DeliveryError,
        NotFoundError,
        RecordError,
        SignatureError,
    )
    from core_client.outbox import Outbox, OutboxFullError
    from core_client.reporter import Reporter

# Loaded on first use, so that `fumblebot roll` does not import the HTTP
# client and the outbox's database driver. Keep in step with the imports above.
EXPORTS = {
    "core_client.client": ("CoreClient",),
    "core_client.contract": (
        "AiConversation",
        "AiMessage",
        "AiProvider",
        "AiRole",
        "AiUsage",
        "CampaignUpserted",
        "CharacterUpserted",
        "ChatMessage",
        "DiceGroup",
        "Die",
        "Event",
        "EventType",
        "GameLinkUpserted",
        "Platform",
        "RollRecord",
        "SessionEnded",
        "SessionNote",
        "SessionStarted",
        "UserUpserted",
        "Visibility",
        "VttAccountLinked",
        "VttAccountRevoked",
        "VttPlatform",
    ),
    "core_client.errors": (
        "ApiError",
        "AuthError",
        "ConflictError",
        "CoreClientError",
        "DeliveryError",
        "NotFoundError",
        "RecordError",
        "SignatureError",
    ),
    "core_client.outbox": ("Outbox", "OutboxFullError"),
    "core_client.reporter": ("Reporter",),
}
if not TYPE_CHECKING:  # hidden from mypy, which would then accept any name
    __getattr__ = lazy_exports(__name__, EXPORTS)

__all__ = [
    "AiConversation",
    "AiMessage",
    "AiProvider",
    "AiRole",
    "AiUsage",
    "ApiError",
    "AuthError",
    "CampaignUpserted",
    "CharacterUpserted",
    "ChatMessage",
    "ConflictError",
    "CoreClient",
    "CoreClientError",
    "DeliveryError",
    "DiceGroup",
    "Die",
    "Event",
    "EventType",
    "GameLinkUpserted",
    "NotFoundError",
    "Outbox",
    "OutboxFullError",
    "Platform",
    "RecordError",
    "Reporter",
    "RollRecord",
    "SessionEnded",
    "SessionNote",
    "SessionStarted",
    "SignatureError",
    "UserUpserted",
    "Visibility",
    "VttAccountLinked",
    "VttAccountRevoked",
    "VttPlatform",
]
