"""Messages, attachments, webhooks, application commands and interaction callbacks."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from .discord_models import JSON, EmuUser, MessageFlag, iso_now, opt_str


@dataclass(eq=False)
class EmuAttachment:
    id: int
    filename: str
    data: bytes
    url: str
    content_type: str | None = None
    description: str | None = None

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "filename": self.filename,
            "size": len(self.data),
            "url": self.url,
            "proxy_url": self.url,
            "content_type": self.content_type,
            "description": self.description,
        }


MessageSource = Literal["user", "bot", "webhook", "interaction", "followup"]


@dataclass(eq=False)
class EmuMessage:
    """A message in the emulated world. ``source`` says how it was created."""

    id: int
    channel_id: int
    guild_id: int | None
    author: JSON
    source: MessageSource
    content: str = ""
    embeds: list[JSON] = field(default_factory=list)
    components: list[JSON] = field(default_factory=list)
    attachments: list[EmuAttachment] = field(default_factory=list)
    flags: int = 0
    type: int = 0
    tts: bool = False
    webhook_id: int | None = None
    application_id: int | None = None
    interaction_id: int | None = None
    avatar_url: str | None = None
    message_reference: JSON | None = None
    mentions: list[JSON] = field(default_factory=list)
    member: JSON | None = None
    timestamp: str = field(default_factory=iso_now)
    edited_timestamp: str | None = None
    deleted: bool = False
    reactions: list[tuple[str, int]] = field(default_factory=list)
    history: list[JSON] = field(default_factory=list)  # payloads before each edit

    @property
    def author_id(self) -> int:
        return int(self.author["id"])

    @property
    def username(self) -> str:
        """Display name of the author (the overridden username for webhook messages)."""
        return str(self.author.get("username", ""))

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlag.EPHEMERAL)

    @property
    def loading(self) -> bool:
        """True while this is the placeholder of a deferred (type 5) interaction response."""
        return bool(self.flags & MessageFlag.LOADING)

    @property
    def embed(self) -> JSON | None:
        return self.embeds[0] if self.embeds else None

    @property
    def custom_ids(self) -> list[str]:
        return [str(c["custom_id"]) for c in iter_components(self.components) if "custom_id" in c]

    def find_component(self, custom_id: str) -> JSON | None:
        for comp in iter_components(self.components):
            if comp.get("custom_id") == custom_id:
                return comp
        return None

    def to_payload(self) -> JSON:
        payload: JSON = {
            "id": str(self.id),
            "channel_id": str(self.channel_id),
            "author": dict(self.author),
            "content": self.content,
            "timestamp": self.timestamp,
            "edited_timestamp": self.edited_timestamp,
            "tts": self.tts,
            "mention_everyone": False,
            "mentions": list(self.mentions),
            "mention_roles": [],
            "attachments": [a.to_payload() for a in self.attachments],
            "embeds": list(self.embeds),
            "components": list(self.components),
            "reactions": [],
            "pinned": False,
            "type": self.type,
            "flags": self.flags,
        }
        if self.guild_id is not None:
            payload["guild_id"] = str(self.guild_id)
        if self.member is not None:
            payload["member"] = dict(self.member)
        if self.webhook_id is not None:
            payload["webhook_id"] = str(self.webhook_id)
        if self.application_id is not None:
            payload["application_id"] = str(self.application_id)
        if self.message_reference is not None:
            payload["message_reference"] = dict(self.message_reference)
        return payload


def iter_components(components: list[JSON]) -> list[JSON]:
    """Flatten a component tree (action rows, containers, sections...)."""
    out: list[JSON] = []
    stack = list(reversed(components))
    while stack:
        comp = stack.pop()
        out.append(comp)
        children = list(comp.get("components") or [])
        if isinstance(comp.get("accessory"), dict):
            children.append(comp["accessory"])
        if isinstance(comp.get("component"), dict):
            children.append(comp["component"])
        stack.extend(reversed(children))
    return out


@dataclass(eq=False)
class EmuWebhook:
    id: int
    token: str
    channel_id: int
    guild_id: int | None
    name: str
    creator_id: int
    application_id: int | None = None
    avatar: str | None = None

    @property
    def url_path(self) -> str:
        return f"/webhooks/{self.id}/{self.token}"

    def to_payload(self, creator: EmuUser | None) -> JSON:
        payload: JSON = {
            "id": str(self.id),
            "type": 1,
            "guild_id": opt_str(self.guild_id),
            "channel_id": str(self.channel_id),
            "name": self.name,
            "avatar": self.avatar,
            "token": self.token,
            "application_id": opt_str(self.application_id),
        }
        if creator is not None:
            payload["user"] = creator.to_payload()
        return payload


@dataclass(eq=False)
class EmuCommand:
    """An application command as registered by the bot (global if ``guild_id`` is None)."""

    id: int
    application_id: int
    guild_id: int | None
    payload: JSON
    version: int

    @property
    def name(self) -> str:
        return str(self.payload["name"])

    @property
    def type(self) -> int:
        return int(self.payload.get("type", 1))

    @property
    def options(self) -> list[JSON]:
        return list(self.payload.get("options") or [])

    def to_payload(self) -> JSON:
        payload: JSON = {
            "type": 1,
            "description": "",
            "options": [],
            "default_member_permissions": None,
            "nsfw": False,
            **self.payload,
            "id": str(self.id),
            "application_id": str(self.application_id),
            "version": str(self.version),
        }
        if self.guild_id is not None:
            payload["guild_id"] = str(self.guild_id)
        return payload


@dataclass(frozen=True)
class CommandSync:
    guild_id: int | None
    names: tuple[str, ...]
    at: float


@dataclass(eq=False)
class InteractionCallback:
    """What the bot answered via ``POST /interactions/{id}/{token}/callback``."""

    type: int
    data: JSON
    elapsed: float
    late: bool
    attachments: list[EmuAttachment] = field(default_factory=list)

    @property
    def content(self) -> str:
        return str(self.data.get("content") or "")

    @property
    def embeds(self) -> list[JSON]:
        return list(self.data.get("embeds") or [])

    @property
    def embed(self) -> JSON | None:
        embeds = self.embeds
        return embeds[0] if embeds else None

    @property
    def components(self) -> list[JSON]:
        return list(self.data.get("components") or [])

    @property
    def custom_ids(self) -> list[str]:
        return [str(c["custom_id"]) for c in iter_components(self.components) if "custom_id" in c]

    @property
    def flags(self) -> int:
        return int(self.data.get("flags") or 0)

    @property
    def ephemeral(self) -> bool:
        return bool(self.flags & MessageFlag.EPHEMERAL)

    @property
    def choices(self) -> list[JSON]:
        return list(self.data.get("choices") or [])
