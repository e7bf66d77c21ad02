"""The payload records of every event type but rolls (see `rolls.RollRecord`).

Each is a frozen msgspec Struct; Core decodes an event's data with the Struct
of its type (`PAYLOADS`), bot and bridge build the same Struct and send it
with `.event()`. Campaigns, sessions and conversations are named by the
sender's own keys (`campaign_id` is the same free-form key a roll carries),
so a sender never needs an answer from Core to report the next fact.
"""

from __future__ import annotations

from typing import Annotated, Any, ClassVar

import msgspec

from core_client.contract.enums import AiProvider, AiRole, EventType, Platform, VttPlatform
from core_client.contract.events import Record
from core_client.contract.rolls import RollRecord
from core_client.contract.scalars import (
    MAX_SHEET_BYTES,
    Content,
    Count,
    DiscordId,
    Id,
    LongText,
    Model,
    Name,
    UnixTime,
    check_json,
    check_object,
)

MAX_TURNS = 50
MAX_PARTICIPANTS = 100


class ChatMessage(Record, frozen=True):
    """A chat line relayed between Discord and a VTT."""

    event_type: ClassVar[EventType] = EventType.CHAT_MESSAGE

    campaign_id: Id
    platform: Platform
    text: LongText
    channel_id: Id | None = None
    author_id: Id | None = None
    author_name: Name | None = None


class AiUsage(Record, frozen=True):
    """The tokens one AI call used."""

    event_type: ClassVar[EventType] = EventType.AI_USAGE

    provider: AiProvider
    model: Model
    prompt_tokens: Count
    completion_tokens: Count
    user_discord_id: DiscordId | None = None
    campaign_id: Id | None = None
    conversation_id: Id | None = None


class AiMessage(msgspec.Struct, frozen=True, forbid_unknown_fields=True):
    """One turn of a conversation."""

    role: AiRole
    content: Content


class AiConversation(Record, frozen=True):
    """New turns of a conversation; turns are appended under `conversation_id`."""

    event_type: ClassVar[EventType] = EventType.AI_CONVERSATION

    conversation_id: Id
    provider: AiProvider
    model: Model
    messages: Annotated[tuple[AiMessage, ...], msgspec.Meta(max_length=MAX_TURNS)]
    prompt_tokens: Count = 0
    completion_tokens: Count = 0
    user_discord_id: DiscordId | None = None
    campaign_id: Id | None = None


class UserUpserted(Record, frozen=True):
    """A Discord user's current display name."""

    event_type: ClassVar[EventType] = EventType.USER_UPSERTED

    discord_id: DiscordId
    display_name: Name | None = None


class VttAccountLinked(Record, frozen=True):
    """A player linked a VTT account; Core encrypts `credentials` at rest."""

    event_type: ClassVar[EventType] = EventType.VTT_ACCOUNT_LINKED

    discord_user_id: DiscordId
    platform: VttPlatform
    platform_user_id: Id
    credentials: Any = None
    display_name: Name | None = None

    def __post_init__(self) -> None:
        check_json(self.credentials, "credentials")


class VttAccountRevoked(Record, frozen=True):
    """A player unlinked a VTT account; Core forgets its credentials."""

    event_type: ClassVar[EventType] = EventType.VTT_ACCOUNT_REVOKED

    platform: VttPlatform
    platform_user_id: Id


class SessionStarted(Record, frozen=True):
    """A game session began; `session_id` is the sender's key for it."""

    event_type: ClassVar[EventType] = EventType.SESSION_STARTED

    session_id: Id
    campaign_id: Id
    title: Name | None = None
    participants: Annotated[tuple[Id, ...], msgspec.Meta(max_length=MAX_PARTICIPANTS)] = ()
    started_at: UnixTime | None = None


class SessionEnded(Record, frozen=True):
    """A game session ended."""

    event_type: ClassVar[EventType] = EventType.SESSION_ENDED

    session_id: Id
    ended_at: UnixTime | None = None


class SessionNote(Record, frozen=True):
    """A note taken during a session."""

    event_type: ClassVar[EventType] = EventType.SESSION_NOTE

    session_id: Id
    text: LongText
    author: Name | None = None


class CharacterUpserted(Record, frozen=True):
    """A character as a platform sent it; the same source id updates it."""

    event_type: ClassVar[EventType] = EventType.CHARACTER_UPSERTED

    name: Name
    source_platform: Platform
    source_id: Id | None = None
    campaign_id: Id | None = None
    owner_discord_id: DiscordId | None = None
    source: Any = None
    stats: dict[str, Any] = msgspec.field(default_factory=dict)
    roll20: Any = None
    foundry: Any = None
    owlbear: Any = None

    def __post_init__(self) -> None:
        check_json(self.source, "source", MAX_SHEET_BYTES)
        check_object(self.stats, "stats")
        for name in ("roll20", "foundry", "owlbear"):
            check_json(getattr(self, name), name, MAX_SHEET_BYTES)


class CampaignUpserted(Record, frozen=True):
    """A campaign by its key (e.g. "guild:123"); the same key updates it."""

    event_type: ClassVar[EventType] = EventType.CAMPAIGN_UPSERTED

    key: Id
    name: Name
    guild_id: DiscordId | None = None
    gm_discord_id: DiscordId | None = None
    settings: dict[str, Any] | None = None

    def __post_init__(self) -> None:
        if self.settings is not None:
            check_object(self.settings, "settings")


class GameLinkUpserted(Record, frozen=True):
    """Campaign <-> channel <-> VTT game; the same channel or game updates it."""

    event_type: ClassVar[EventType] = EventType.GAME_LINK_UPSERTED

    campaign_id: Id
    discord_channel_id: DiscordId | None = None
    platform: VttPlatform | None = None
    game_id: Id | None = None
    sync_chat: bool = True
    sync_rolls: bool = True


Payload = (
    RollRecord
    | ChatMessage
    | AiUsage
    | AiConversation
    | UserUpserted
    | VttAccountLinked
    | VttAccountRevoked
    | SessionStarted
    | SessionEnded
    | SessionNote
    | CharacterUpserted
    | CampaignUpserted
    | GameLinkUpserted
)

# The Struct each event type's data must decode as; Core's ingest uses this table.
PAYLOADS: dict[EventType, type[Payload]] = {
    kind.event_type: kind
    for kind in (
        RollRecord,
        ChatMessage,
        AiUsage,
        AiConversation,
        UserUpserted,
        VttAccountLinked,
        VttAccountRevoked,
        SessionStarted,
        SessionEnded,
        SessionNote,
        CharacterUpserted,
        CampaignUpserted,
        GameLinkUpserted,
    )
}
