"""The wire contract: every record that crosses a boundary, declared once.

Bot, bridge and Core import these msgspec Structs (and Core's answer shapes)
from here and nowhere else; `codec` is the one way to decode and encode them.
"""

from __future__ import annotations

from core_client.contract.bus import (
    Audience,
    BusEntry,
    BusEvent,
    ChatLine,
    GameEvent,
    LinkChange,
    Origin,
    TokenRevoked,
)
from core_client.contract.enums import (
    AiProvider,
    AiRole,
    BusType,
    Comparison,
    EventType,
    KeyRole,
    LinkAction,
    Platform,
    Reads,
    Visibility,
    VttPlatform,
)
from core_client.contract.events import Delivery, Event, Record
from core_client.contract.payloads import (
    PAYLOADS,
    AiConversation,
    AiMessage,
    AiUsage,
    CampaignUpserted,
    CharacterUpserted,
    ChatMessage,
    GameLinkUpserted,
    Payload,
    SessionEnded,
    SessionNote,
    SessionStarted,
    UserUpserted,
    VttAccountLinked,
    VttAccountRevoked,
)
from core_client.contract.rolls import DiceGroup, Die, RollRecord
from core_client.contract.rules import Rule

__all__ = [
    "PAYLOADS",
    "AiConversation",
    "AiMessage",
    "AiProvider",
    "AiRole",
    "AiUsage",
    "Audience",
    "BusEntry",
    "BusEvent",
    "BusType",
    "CampaignUpserted",
    "CharacterUpserted",
    "ChatLine",
    "ChatMessage",
    "Comparison",
    "Delivery",
    "DiceGroup",
    "Die",
    "Event",
    "EventType",
    "GameEvent",
    "GameLinkUpserted",
    "KeyRole",
    "LinkAction",
    "LinkChange",
    "Origin",
    "Payload",
    "Platform",
    "Reads",
    "Record",
    "RollRecord",
    "Rule",
    "SessionEnded",
    "SessionNote",
    "SessionStarted",
    "TokenRevoked",
    "UserUpserted",
    "Visibility",
    "VttAccountLinked",
    "VttAccountRevoked",
    "VttPlatform",
]
