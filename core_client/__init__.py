"""The SDK that bot and bridge share to talk to Core.

It holds the wire contract (`core_client.contract`), webhook signing, the HTTP client and the
durable outbox. It imports nothing from the other FumbleBot packages.
"""

from __future__ import annotations

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
