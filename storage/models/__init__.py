"""Core's tables as SQLAlchemy 2 declarative models, one module per entity.

The schema itself is owned by the Alembic migrations in `storage/migrations`;
these models must match them, and a test compares the two.
"""

from __future__ import annotations

from storage.models.ai import AiConversation, AiUsage
from storage.models.api_keys import ApiKey
from storage.models.base import (
    Archivable,
    Base,
    Timestamped,
    Versioned,
    new_id,
    utcnow,
)
from storage.models.campaigns import Campaign, GameLink
from storage.models.changes import ChangeLog
from storage.models.characters import Character
from storage.models.chat import ChatMessage
from storage.models.crit_rules import CritRule
from storage.models.epoch import ResolveEpoch
from storage.models.rolls import Roll, WebhookEvent
from storage.models.sessions import GameSession
from storage.models.tallies import RollFace, RollTally
from storage.models.users import User, VttAccount

__all__ = [
    "AiConversation",
    "AiUsage",
    "ApiKey",
    "Archivable",
    "Base",
    "Campaign",
    "ChangeLog",
    "Character",
    "ChatMessage",
    "CritRule",
    "GameLink",
    "GameSession",
    "ResolveEpoch",
    "Roll",
    "RollFace",
    "RollTally",
    "Timestamped",
    "User",
    "Versioned",
    "VttAccount",
    "WebhookEvent",
    "new_id",
    "utcnow",
]
