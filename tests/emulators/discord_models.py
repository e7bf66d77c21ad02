"""World model of the Discord emulator: ids, permissions, users, roles, members, channels, guilds.

Plain data with Discord-shaped ``to_payload()`` builders (messages live in ``discord_messages``,
mutable emulator state in ``discord_state``).
"""

from __future__ import annotations

import datetime
import time
from dataclasses import dataclass, field
from typing import Any, Protocol

JSON = dict[str, Any]

DISCORD_EPOCH_MS = 1_420_070_400_000
INTERACTION_DEADLINE_S = 3.0
ATTACHMENT_SIZE_LIMIT = 10 * 1024 * 1024


class Perm:
    """Permission bits (same values as ``discord.Permissions``)."""

    CREATE_INSTANT_INVITE = 1 << 0
    KICK_MEMBERS = 1 << 1
    BAN_MEMBERS = 1 << 2
    ADMINISTRATOR = 1 << 3
    MANAGE_CHANNELS = 1 << 4
    MANAGE_GUILD = 1 << 5
    ADD_REACTIONS = 1 << 6
    VIEW_CHANNEL = 1 << 10
    SEND_MESSAGES = 1 << 11
    MANAGE_MESSAGES = 1 << 13
    EMBED_LINKS = 1 << 14
    ATTACH_FILES = 1 << 15
    READ_MESSAGE_HISTORY = 1 << 16
    MENTION_EVERYONE = 1 << 17
    USE_EXTERNAL_EMOJIS = 1 << 18
    CONNECT = 1 << 20
    SPEAK = 1 << 21
    CHANGE_NICKNAME = 1 << 26
    MANAGE_ROLES = 1 << 28
    MANAGE_WEBHOOKS = 1 << 29
    USE_APPLICATION_COMMANDS = 1 << 31
    SEND_MESSAGES_IN_THREADS = 1 << 38
    ALL = (1 << 51) - 1


DEFAULT_EVERYONE_PERMISSIONS = (
    Perm.CREATE_INSTANT_INVITE
    | Perm.ADD_REACTIONS
    | Perm.VIEW_CHANNEL
    | Perm.SEND_MESSAGES
    | Perm.EMBED_LINKS
    | Perm.ATTACH_FILES
    | Perm.READ_MESSAGE_HISTORY
    | Perm.USE_EXTERNAL_EMOJIS
    | Perm.CONNECT
    | Perm.SPEAK
    | Perm.CHANGE_NICKNAME
    | Perm.USE_APPLICATION_COMMANDS
    | Perm.SEND_MESSAGES_IN_THREADS
)
DEFAULT_BOT_PERMISSIONS = DEFAULT_EVERYONE_PERMISSIONS | Perm.MANAGE_WEBHOOKS | Perm.MANAGE_MESSAGES


class Intent:
    GUILDS = 1 << 0
    GUILD_MEMBERS = 1 << 1
    GUILD_PRESENCES = 1 << 8
    GUILD_MESSAGES = 1 << 9
    DIRECT_MESSAGES = 1 << 12
    MESSAGE_CONTENT = 1 << 15
    # Switched on per application in the Developer Portal; asking for one that
    # is off closes the gateway with 4014.
    PRIVILEGED = GUILD_MEMBERS | GUILD_PRESENCES | MESSAGE_CONTENT


class ChannelType:
    TEXT = 0
    DM = 1
    VOICE = 2
    CATEGORY = 4


class MessageFlag:
    SUPPRESS_EMBEDS = 1 << 2
    EPHEMERAL = 1 << 6
    LOADING = 1 << 7
    IS_COMPONENTS_V2 = 1 << 15


class _HasValue(Protocol):
    @property
    def value(self) -> int: ...


PermissionsLike = int | _HasValue


def perm_value(perms: PermissionsLike) -> int:
    """Accept an int or anything with ``.value`` (e.g. ``discord.Permissions``)."""
    return perms if isinstance(perms, int) else int(perms.value)


def iso_now() -> str:
    return datetime.datetime.now(datetime.UTC).isoformat()


class SnowflakeFactory:
    """Time-based, strictly increasing snowflakes (so ``created_at`` is realistic)."""

    def __init__(self) -> None:
        self._last = 0

    def __call__(self) -> int:
        candidate = ((int(time.time() * 1000) - DISCORD_EPOCH_MS) << 22) | (1 << 17)
        self._last = max(candidate, self._last + 1)
        return self._last


def user_payload(user: EmuUser) -> JSON:
    payload: JSON = {
        "id": str(user.id),
        "username": user.username,
        "discriminator": "0",
        "global_name": user.global_name,
        "avatar": user.avatar,
        "public_flags": 0,
        "flags": 0,
        "banner": None,
        "accent_color": None,
        "avatar_decoration_data": None,
    }
    if user.bot:
        payload["bot"] = True
    return payload


@dataclass(eq=False)
class EmuUser:
    id: int
    username: str
    global_name: str | None = None
    bot: bool = False
    avatar: str | None = None

    @property
    def mention(self) -> str:
        return f"<@{self.id}>"

    def to_payload(self) -> JSON:
        return user_payload(self)


@dataclass(eq=False)
class EmuRole:
    id: int
    guild_id: int
    name: str
    permissions: int = 0
    position: int = 0
    managed: bool = False
    color: int = 0

    @property
    def mention(self) -> str:
        return f"<@&{self.id}>"

    def to_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "permissions": str(self.permissions),
            "position": self.position,
            "color": self.color,
            "colors": {
                "primary_color": self.color,
                "secondary_color": None,
                "tertiary_color": None,
            },
            "hoist": False,
            "managed": self.managed,
            "mentionable": False,
            "flags": 0,
            "icon": None,
            "unicode_emoji": None,
        }


@dataclass(eq=False)
class EmuMember:
    guild_id: int
    user: EmuUser
    role_ids: list[int] = field(default_factory=list)
    nick: str | None = None
    joined_at: str = field(default_factory=iso_now)

    @property
    def id(self) -> int:
        return self.user.id

    @property
    def mention(self) -> str:
        return self.user.mention

    def to_payload(self, *, include_user: bool = True, permissions: int | None = None) -> JSON:
        payload: JSON = {
            "roles": [str(r) for r in self.role_ids],
            "nick": self.nick,
            "avatar": None,
            "banner": None,
            "joined_at": self.joined_at,
            "premium_since": None,
            "deaf": False,
            "mute": False,
            "flags": 0,
            "pending": False,
            "communication_disabled_until": None,
        }
        if include_user:
            payload["user"] = self.user.to_payload()
        if permissions is not None:
            payload["permissions"] = str(permissions)
        return payload


@dataclass(eq=False)
class EmuOverwrite:
    target_id: int
    type: int  # 0 = role, 1 = member
    allow: int = 0
    deny: int = 0

    def to_payload(self) -> JSON:
        return {
            "id": str(self.target_id),
            "type": self.type,
            "allow": str(self.allow),
            "deny": str(self.deny),
        }


@dataclass(eq=False)
class EmuChannel:
    id: int
    type: int
    name: str
    guild_id: int | None
    position: int = 0
    topic: str | None = None
    parent_id: int | None = None
    overwrites: list[EmuOverwrite] = field(default_factory=list)
    recipients: list[EmuUser] = field(default_factory=list)
    last_message_id: int | None = None

    @property
    def mention(self) -> str:
        return f"<#{self.id}>"

    def to_payload(self) -> JSON:
        if self.type == ChannelType.DM:
            return {
                "id": str(self.id),
                "type": self.type,
                "recipients": [u.to_payload() for u in self.recipients],
                "last_message_id": opt_str(self.last_message_id),
                "flags": 0,
            }
        payload: JSON = {
            "id": str(self.id),
            "type": self.type,
            "guild_id": str(self.guild_id),
            "name": self.name,
            "position": self.position,
            "permission_overwrites": [o.to_payload() for o in self.overwrites],
            "parent_id": opt_str(self.parent_id),
            "nsfw": False,
            "flags": 0,
        }
        if self.type == ChannelType.VOICE:
            payload.update(bitrate=64000, user_limit=0, rtc_region=None)
        elif self.type != ChannelType.CATEGORY:
            payload.update(
                topic=self.topic,
                rate_limit_per_user=0,
                last_message_id=opt_str(self.last_message_id),
            )
        return payload


@dataclass(eq=False)
class EmuGuild:
    id: int
    name: str
    owner_id: int
    roles: dict[int, EmuRole] = field(default_factory=dict)
    channels: dict[int, EmuChannel] = field(default_factory=dict)
    members: dict[int, EmuMember] = field(default_factory=dict)
    bot_role_id: int = 0

    @property
    def everyone_role(self) -> EmuRole:
        return self.roles[self.id]

    def base_payload(self) -> JSON:
        return {
            "id": str(self.id),
            "name": self.name,
            "owner_id": str(self.owner_id),
            "icon": None,
            "splash": None,
            "banner": None,
            "description": None,
            "features": [],
            "verification_level": 0,
            "default_message_notifications": 0,
            "explicit_content_filter": 0,
            "mfa_level": 0,
            "nsfw_level": 0,
            "premium_tier": 0,
            "preferred_locale": "en-US",
            "afk_timeout": 300,
            "afk_channel_id": None,
            "system_channel_id": None,
            "system_channel_flags": 0,
            "rules_channel_id": None,
            "public_updates_channel_id": None,
            "application_id": None,
            "roles": [r.to_payload() for r in self.roles.values()],
            "emojis": [],
            "stickers": [],
        }

    def create_payload(self, *, bot_id: int, all_members: bool) -> JSON:
        """GUILD_CREATE payload. Without GUILD_PRESENCES Discord only sends the bot member."""
        members = [m for m in self.members.values() if all_members or m.id == bot_id]
        payload = self.base_payload()
        payload.update(
            unavailable=False,
            large=False,
            joined_at=self.members[bot_id].joined_at if bot_id in self.members else iso_now(),
            member_count=len(self.members),
            members=[m.to_payload() for m in members],
            channels=[c.to_payload() for c in self.channels.values()],
            threads=[],
            presences=[],
            voice_states=[],
            stage_instances=[],
            guild_scheduled_events=[],
            soundboard_sounds=[],
        )
        return payload


def opt_str(value: int | None) -> str | None:
    return None if value is None else str(value)
