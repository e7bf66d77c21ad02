"""Typed payloads of every event type but rolls (see `records.RollRecord`).

Each payload is a frozen dataclass with `to_dict` for senders and a strict
`from_dict` for Core. Campaigns, sessions and conversations are named by the
sender's own keys (`campaign_id` is the same free-form key a roll carries),
so a sender never needs an answer from Core to report the next fact.
"""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from core_client.events import Event, EventType
from core_client.fields import MAX_NAME, MAX_TEXT, Reader
from core_client.records import Platform, RollRecord


class VttPlatform(enum.StrEnum):
    """The VTTs a player can link an account on."""

    ROLL20 = "roll20"
    FOUNDRY = "foundry"
    DNDBEYOND = "dndbeyond"
    OWLBEAR = "owlbear"


class AiProvider(enum.StrEnum):
    """The AI providers `/ask` can use."""

    OPENAI = "openai"
    ANTHROPIC = "anthropic"
    OTHER = "other"


class _Payload:
    """Shared serialisation of the payload dataclasses."""

    def to_dict(self) -> dict[str, Any]:
        """Return the JSON-ready form of the payload."""
        return dataclasses.asdict(self)  # type: ignore[call-overload, no-any-return]

    def event(self, event_id: str | None = None) -> Event:
        """Wrap the payload in an event of its type."""
        kind = PAYLOAD_TYPES[type(self)]
        if event_id is None:
            return Event(kind, self.to_dict())
        return Event(kind, self.to_dict(), id=event_id)


@dataclass(frozen=True, slots=True)
class ChatMessage(_Payload):
    """A chat line relayed between Discord and a VTT."""

    campaign_id: str
    platform: Platform
    text: str
    channel_id: str | None = None
    author_id: str | None = None
    author_name: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> ChatMessage:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(
            campaign_id=r.text("campaign_id"),
            platform=r.choice("platform", Platform),
            text=r.text("text", MAX_TEXT),
            channel_id=r.opt_text("channel_id"),
            author_id=r.opt_text("author_id"),
            author_name=r.opt_text("author_name", MAX_NAME),
        )


@dataclass(frozen=True, slots=True)
class AiUsage(_Payload):
    """The tokens one AI call used."""

    provider: AiProvider
    model: str
    prompt_tokens: int
    completion_tokens: int
    user_discord_id: str | None = None
    campaign_id: str | None = None
    conversation_id: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> AiUsage:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(
            provider=r.choice("provider", AiProvider),
            model=r.text("model", 100),
            prompt_tokens=r.integer("prompt_tokens", 0, 10**9),
            completion_tokens=r.integer("completion_tokens", 0, 10**9),
            user_discord_id=r.opt_text("user_discord_id", 32),
            campaign_id=r.opt_text("campaign_id"),
            conversation_id=r.opt_text("conversation_id"),
        )


@dataclass(frozen=True, slots=True)
class AiMessage:
    """One turn of a conversation."""

    role: str
    content: str


@dataclass(frozen=True, slots=True)
class AiConversation(_Payload):
    """New turns of a conversation; turns are appended under `conversation_id`."""

    conversation_id: str
    provider: AiProvider
    model: str
    messages: tuple[AiMessage, ...]
    prompt_tokens: int = 0
    completion_tokens: int = 0
    user_discord_id: str | None = None
    campaign_id: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> AiConversation:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(
            conversation_id=r.text("conversation_id"),
            provider=r.choice("provider", AiProvider),
            model=r.text("model", 100),
            messages=tuple(
                AiMessage(m.text("role", 32), m.text("content", 32_000))
                for m in r.objects("messages", 50)
            ),
            prompt_tokens=r.integer("prompt_tokens", 0, 10**9, default=0),
            completion_tokens=r.integer("completion_tokens", 0, 10**9, default=0),
            user_discord_id=r.opt_text("user_discord_id", 32),
            campaign_id=r.opt_text("campaign_id"),
        )


@dataclass(frozen=True, slots=True)
class UserUpserted(_Payload):
    """A Discord user's current display name."""

    discord_id: str
    display_name: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> UserUpserted:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(r.text("discord_id", 32), r.opt_text("display_name", MAX_NAME))


@dataclass(frozen=True, slots=True)
class VttAccountLinked(_Payload):
    """A player linked a VTT account; Core encrypts `credentials` at rest."""

    discord_user_id: str
    platform: VttPlatform
    platform_user_id: str
    credentials: Any = None
    display_name: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> VttAccountLinked:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(
            discord_user_id=r.text("discord_user_id", 32),
            platform=r.choice("platform", VttPlatform),
            platform_user_id=r.text("platform_user_id"),
            credentials=r.json("credentials"),
            display_name=r.opt_text("display_name", MAX_NAME),
        )


@dataclass(frozen=True, slots=True)
class VttAccountRevoked(_Payload):
    """A player unlinked a VTT account; Core forgets its credentials."""

    platform: VttPlatform
    platform_user_id: str

    @classmethod
    def from_dict(cls, data: object) -> VttAccountRevoked:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(r.choice("platform", VttPlatform), r.text("platform_user_id"))


@dataclass(frozen=True, slots=True)
class SessionStarted(_Payload):
    """A game session began; `session_id` is the sender's key for it."""

    session_id: str
    campaign_id: str
    title: str | None = None
    participants: tuple[str, ...] = ()
    started_at: float | None = None

    @classmethod
    def from_dict(cls, data: object) -> SessionStarted:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(
            session_id=r.text("session_id"),
            campaign_id=r.text("campaign_id"),
            title=r.opt_text("title", MAX_NAME),
            participants=r.strings("participants"),
            started_at=r.timestamp("started_at"),
        )


@dataclass(frozen=True, slots=True)
class SessionEnded(_Payload):
    """A game session ended."""

    session_id: str
    ended_at: float | None = None

    @classmethod
    def from_dict(cls, data: object) -> SessionEnded:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(r.text("session_id"), r.timestamp("ended_at"))


@dataclass(frozen=True, slots=True)
class SessionNote(_Payload):
    """A note taken during a session."""

    session_id: str
    text: str
    author: str | None = None

    @classmethod
    def from_dict(cls, data: object) -> SessionNote:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(r.text("session_id"), r.text("text", MAX_TEXT), r.opt_text("author", MAX_NAME))


@dataclass(frozen=True, slots=True)
class CharacterUpserted(_Payload):
    """A character as a platform sent it; the same source id updates it."""

    name: str
    source_platform: Platform
    source_id: str | None = None
    campaign_id: str | None = None
    owner_discord_id: str | None = None
    source: Any = None
    stats: Mapping[str, Any] = dataclasses.field(default_factory=dict)
    roll20: Any = None
    foundry: Any = None
    owlbear: Any = None

    @classmethod
    def from_dict(cls, data: object) -> CharacterUpserted:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(
            name=r.text("name", MAX_NAME),
            source_platform=r.choice("source_platform", Platform),
            source_id=r.opt_text("source_id"),
            campaign_id=r.opt_text("campaign_id"),
            owner_discord_id=r.opt_text("owner_discord_id", 32),
            source=r.json("source"),
            stats=r.json("stats", obj=True),
            roll20=r.json("roll20"),
            foundry=r.json("foundry"),
            owlbear=r.json("owlbear"),
        )


@dataclass(frozen=True, slots=True)
class CampaignUpserted(_Payload):
    """A campaign by its key (e.g. "guild:123"); the same key updates it."""

    key: str
    name: str
    guild_id: str | None = None
    gm_discord_id: str | None = None
    settings: Mapping[str, Any] | None = None

    @classmethod
    def from_dict(cls, data: object) -> CampaignUpserted:
        """Validate untrusted JSON."""
        r = Reader(data)
        return cls(
            key=r.text("key"),
            name=r.text("name", MAX_NAME),
            guild_id=r.opt_text("guild_id", 32),
            gm_discord_id=r.opt_text("gm_discord_id", 32),
            settings=r.json("settings", obj=True) if r.has("settings") else None,
        )


@dataclass(frozen=True, slots=True)
class GameLinkUpserted(_Payload):
    """Campaign <-> channel <-> VTT game; the same channel or game updates it."""

    campaign_id: str
    discord_channel_id: str | None = None
    platform: VttPlatform | None = None
    game_id: str | None = None
    sync_chat: bool = True
    sync_rolls: bool = True

    @classmethod
    def from_dict(cls, data: object) -> GameLinkUpserted:
        """Validate untrusted JSON."""
        r = Reader(data)
        platform = r.choice("platform", VttPlatform) if r.has("platform") else None
        return cls(
            campaign_id=r.text("campaign_id"),
            discord_channel_id=r.opt_text("discord_channel_id", 32),
            platform=platform,
            game_id=r.opt_text("game_id"),
            sync_chat=r.flag("sync_chat", True),
            sync_rolls=r.flag("sync_rolls", True),
        )


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

PARSERS: dict[EventType, Callable[[object], Payload]] = {
    EventType.ROLL_RECORDED: RollRecord.from_dict,
    EventType.CHAT_MESSAGE: ChatMessage.from_dict,
    EventType.AI_USAGE: AiUsage.from_dict,
    EventType.AI_CONVERSATION: AiConversation.from_dict,
    EventType.USER_UPSERTED: UserUpserted.from_dict,
    EventType.VTT_ACCOUNT_LINKED: VttAccountLinked.from_dict,
    EventType.VTT_ACCOUNT_REVOKED: VttAccountRevoked.from_dict,
    EventType.SESSION_STARTED: SessionStarted.from_dict,
    EventType.SESSION_ENDED: SessionEnded.from_dict,
    EventType.SESSION_NOTE: SessionNote.from_dict,
    EventType.CHARACTER_UPSERTED: CharacterUpserted.from_dict,
    EventType.CAMPAIGN_UPSERTED: CampaignUpserted.from_dict,
    EventType.GAME_LINK_UPSERTED: GameLinkUpserted.from_dict,
}

PAYLOAD_TYPES: dict[type, EventType] = {
    ChatMessage: EventType.CHAT_MESSAGE,
    AiUsage: EventType.AI_USAGE,
    AiConversation: EventType.AI_CONVERSATION,
    UserUpserted: EventType.USER_UPSERTED,
    VttAccountLinked: EventType.VTT_ACCOUNT_LINKED,
    VttAccountRevoked: EventType.VTT_ACCOUNT_REVOKED,
    SessionStarted: EventType.SESSION_STARTED,
    SessionEnded: EventType.SESSION_ENDED,
    SessionNote: EventType.SESSION_NOTE,
    CharacterUpserted: EventType.CHARACTER_UPSERTED,
    CampaignUpserted: EventType.CAMPAIGN_UPSERTED,
    GameLinkUpserted: EventType.GAME_LINK_UPSERTED,
}


def parse_payload(event: Event) -> Payload:
    """Validate an event's data for its type; raise RecordError naming the bad field."""
    return PARSERS[event.type](event.data)
