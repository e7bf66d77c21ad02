"""Mutable state of the Discord emulator (one ``DiscordState`` per emulator), request records,
fault-injection rules and a change-notification primitive tests can wait on."""

from __future__ import annotations

import asyncio
import contextlib
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from fnmatch import fnmatchcase
from typing import Any, TypeVar

from .discord_messages import (
    CommandSync,
    EmuAttachment,
    EmuCommand,
    EmuMessage,
    EmuWebhook,
    InteractionCallback,
    MessageSource,
)
from .discord_models import (
    DEFAULT_EVERYONE_PERMISSIONS,
    JSON,
    EmuChannel,
    EmuGuild,
    EmuMember,
    EmuUser,
    Intent,
    Perm,
    SnowflakeFactory,
)

T = TypeVar("T")


@dataclass(eq=False)
class InteractionRecord:
    id: int
    token: str
    type: int
    guild_id: int | None
    channel_id: int
    user_id: int
    data: JSON
    payload: JSON
    created_at: float  # loop.time() when dispatched
    source_message_id: int | None = None  # component interactions: the clicked message
    callback: InteractionCallback | None = None
    rejected_callbacks: list[JSON] = field(default_factory=list)
    original_message_id: int | None = None
    followup_ids: list[int] = field(default_factory=list)


@dataclass(eq=False)
class RecordedRequest:
    method: str
    path: str  # relative to /api/v10, without the query string
    route: str | None  # discord.py-style template, e.g. "/channels/{channel_id}/messages"
    route_name: str | None
    query: dict[str, str]
    json: Any
    files: list[str]
    time: float
    status: int = 0
    response: Any = None


@dataclass(eq=False)
class RateLimitRule:
    method: str
    pattern: str
    retry_after: float
    remaining: int
    global_: bool
    bucket: str
    hits: int = 0

    def matches(self, method: str, path: str, route: str | None, name: str | None) -> bool:
        if self.method not in ("*", method.upper()):
            return False
        return self.pattern in (route, name) or fnmatchcase(path, self.pattern)


_USER_MENTION = re.compile(r"<@!?(\d+)>")


class DiscordState:
    """All mutable emulator state, plus a change-notification primitive for waiting."""

    def __init__(self, *, bot_user: EmuUser, bot_token: str, application_id: int) -> None:
        self.next_id = SnowflakeFactory()
        self.bot_user = bot_user
        self.bot_token = bot_token
        self.application_id = application_id
        self.base_url = ""
        self.users: dict[int, EmuUser] = {bot_user.id: bot_user}
        self.guilds: dict[int, EmuGuild] = {}
        self.channels: dict[int, EmuChannel] = {}
        self.messages: dict[int, EmuMessage] = {}
        self.webhooks: dict[int, EmuWebhook] = {}
        self.attachments: dict[int, EmuAttachment] = {}
        self.commands: dict[int, EmuCommand] = {}
        self.command_syncs: list[CommandSync] = []
        self.interactions: dict[int, InteractionRecord] = {}
        self.requests: list[RecordedRequest] = []
        self.unknown_routes: list[RecordedRequest] = []
        self.emulator_errors: list[str] = []
        self.rate_limits: list[RateLimitRule] = []
        # The privileged intents switched on in the Developer Portal (all by default).
        self.privileged_intents = Intent.PRIVILEGED
        self._changed: asyncio.Event | None = None

    # -- change notification -------------------------------------------------
    def notify(self) -> None:
        if self._changed is not None:
            self._changed.set()
        self._changed = None

    async def wait_until(self, check: Callable[[], T | None], timeout: float, what: str) -> T:
        """Wait until ``check()`` returns something other than None/False."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while True:
            result = check()
            if result is not None and result is not False:
                return result
            remaining = deadline - loop.time()
            if remaining <= 0:
                raise TimeoutError(f"timed out after {timeout}s waiting for {what}{self.hint()}")
            if self._changed is None:
                self._changed = asyncio.Event()
            event = self._changed
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(event.wait(), remaining)

    def hint(self) -> str:
        parts = []
        if self.unknown_routes:
            hits = sorted({f"{r.method} {r.path}" for r in self.unknown_routes})
            parts.append(f"unknown routes hit: {hits}")
        if self.emulator_errors:
            parts.append(f"emulator errors: {self.emulator_errors}")
        errors = [f"{r.method} {r.path} -> {r.status}" for r in self.requests if r.status >= 400]
        if errors:
            parts.append(f"failed requests: {errors[-5:]}")
        return ("; " + "; ".join(parts)) if parts else ""

    # -- lookups -----------------------------------------------------------------
    def member(self, guild_id: int | None, user_id: int) -> EmuMember | None:
        guild = self.guilds.get(guild_id) if guild_id is not None else None
        return guild.members.get(user_id) if guild else None

    def interaction_by_token(self, token: str) -> InteractionRecord | None:
        for rec in self.interactions.values():
            if rec.token == token:
                return rec
        return None

    def rate_limit_for(
        self, method: str, path: str, route: str | None, name: str | None
    ) -> RateLimitRule | None:
        for rule in self.rate_limits:
            if rule.remaining > 0 and rule.matches(method, path, route, name):
                rule.remaining -= 1
                rule.hits += 1
                return rule
        return None

    # -- permissions (Discord's documented algorithm) ------------------------------
    def base_permissions(self, guild: EmuGuild, user_id: int) -> int:
        if user_id == guild.owner_id:
            return Perm.ALL
        member = guild.members.get(user_id)
        perms = guild.everyone_role.permissions
        for role_id in member.role_ids if member else []:
            role = guild.roles.get(role_id)
            perms |= role.permissions if role else 0
        return Perm.ALL if perms & Perm.ADMINISTRATOR else perms

    def permissions_for(self, channel: EmuChannel, user_id: int) -> int:
        if channel.guild_id is None:
            return DEFAULT_EVERYONE_PERMISSIONS
        guild = self.guilds[channel.guild_id]
        perms = self.base_permissions(guild, user_id)
        if perms & Perm.ADMINISTRATOR:
            return Perm.ALL
        member = guild.members.get(user_id)
        role_ids = set(member.role_ids) if member else set()
        allow = deny = 0
        for ow in channel.overwrites:
            if ow.type == 0 and ow.target_id == guild.id:
                perms = (perms & ~ow.deny) | ow.allow
        for ow in channel.overwrites:
            if ow.type == 0 and ow.target_id in role_ids:
                allow, deny = allow | ow.allow, deny | ow.deny
        perms = (perms & ~deny) | allow
        for ow in channel.overwrites:
            if ow.type == 1 and ow.target_id == user_id:
                perms = (perms & ~ow.deny) | ow.allow
        return perms if perms & Perm.VIEW_CHANNEL else 0

    # -- messages ---------------------------------------------------------------
    def bot_author(self) -> JSON:
        return self.bot_user.to_payload()

    def new_message(self, channel: EmuChannel, author: JSON, source: MessageSource) -> EmuMessage:
        msg = EmuMessage(
            id=self.next_id(),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            author=author,
            source=source,
        )
        self.messages[msg.id] = msg
        channel.last_message_id = msg.id
        return msg

    def new_attachment(
        self, channel_id: int, filename: str, data: bytes, content_type: str | None = None
    ) -> EmuAttachment:
        att_id = self.next_id()
        att = EmuAttachment(
            id=att_id,
            filename=filename,
            data=data,
            content_type=content_type,
            url=f"{self.base_url}/attachments/{channel_id}/{att_id}/{filename}",
        )
        self.attachments[att_id] = att
        return att

    def resolve_mentions(self, msg: EmuMessage) -> None:
        msg.mentions = []
        for raw in _USER_MENTION.findall(msg.content):
            user = self.users.get(int(raw))
            if user is None:
                continue
            mention = user.to_payload()
            member = self.member(msg.guild_id, user.id)
            if member is not None:
                mention["member"] = member.to_payload(include_user=False)
            msg.mentions.append(mention)

    def channel_messages(self, channel_id: int) -> list[EmuMessage]:
        return [m for m in self.messages.values() if m.channel_id == channel_id and not m.deleted]
