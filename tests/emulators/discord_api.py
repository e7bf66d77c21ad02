"""A stateful fake Discord (gateway + REST v10 on 127.0.0.1) that the real discord.py talks to.

Quick start::

    async with DiscordEmulator() as emu:
        alice = emu.add_user("alice")
        guild = emu.add_guild(name="Table", owner=alice)   # @everyone, bot role, bot member
        table = emu.add_text_channel(guild, name="table")
        async with run_bot(bot, emu):                     # redirect discord.py, wait ready + sync
            inter = await emu.invoke_slash(guild, table, alice, "roll", {"expression": "1d20"})
            resp = await inter.wait_response()            # InteractionCallback
            assert resp.type == 4 and not resp.late

World building (sync; if the bot is online it gets GUILD_CREATE / CHANNEL_CREATE / ...):
    add_user(username, *, global_name=None, bot=False) -> EmuUser
    add_guild(name="Test Guild", *, owner=None, bot_permissions=DEFAULT_BOT_PERMISSIONS,
              everyone_permissions=DEFAULT_EVERYONE_PERMISSIONS) -> EmuGuild
    add_role(guild, name, *, permissions=0) -> EmuRole
    add_member(guild, user, *, permissions=None, roles=(), nick=None) -> EmuMember
        (``permissions`` becomes a dedicated role, as Discord has no per-member permissions)
    add_text_channel(guild, name="general", *, topic=None, category=None) -> EmuChannel
    add_channel(guild, name, *, type=ChannelType.TEXT, ...), add_category(guild, name)
    set_permissions(channel, role_or_user, *, allow=0, deny=0), dm_channel(user)
    Permissions are ints (``Perm.*``) or anything with ``.value`` (``discord.Permissions``).

Driving the bot (async):
    wait_ready(timeout=10), wait_commands_synced(guild=None, *, timeout=10) -> [EmuCommand]
        (guild=None waits for any sync; a guild waits for that guild's ``tree.sync(guild=)``)
    invoke_slash(guild, channel, user, "campaign create", {"name": "x"}) -> EmuInteraction
    autocomplete(guild, channel, user, "character show", {"name": "Ar"}, focused="name")
        -> list of choice dicts
    click_button(message, custom_id, user), select(message, custom_id, values, user)
    post_message(channel, user, content, *, files=[(name, bytes)], reply_to=None) -> EmuMessage
        (MESSAGE_CREATE; as on Discord the bot only sees content with the message_content intent)
    reconnect_gateway()  (op 7 RECONNECT; waits until the client RESUMEd, missed events replay)

EmuInteraction:
    wait_response() -> InteractionCallback (type, data, content, embeds, embed, components,
    custom_ids, flags, ephemeral, choices, attachments, elapsed, late); response; late;
    rejected_callbacks; wait_followup() (each call returns the next followup); followups;
    original_message(); wait_original(predicate=None) (waits until a deferred answer is filled);
    click_button(custom_id, user=None); select(custom_id, values, user=None).

Inspection:
    channel_messages(channel, *, include_users=False, include_ephemeral=False) -> [EmuMessage]
        (bot, webhook and interaction messages; ``source``, ``username`` and ``avatar_url`` tell
        webhook posts apart), wait_channel_message(channel, predicate=None, *, after=None),
    commands(guild=None), find_command(name, guild=None), interactions, get_message(id),
    requests (method, path, route, route_name, query, json, files, time, status, response),
    requests_for(route_or_name, method=None), unknown_routes, state, gateway (sessions, resumes,
    identify_payloads, presence_updates). Route names follow discord.py's HTTPClient / webhook
    adapter method names ("send_message", "create_interaction_response", "execute_webhook"...).

Faults and validation:
    inject_rate_limit(method, path_pattern_or_route_name, retry_after=0.2, count=1, global_=False)
    matches a discord.py route template ("/channels/{channel_id}/messages"), a route name
    ("send_message") or an fnmatch glob on the concrete path, and answers 429 with ``Via`` so
    discord.py waits and retries. Discord's limits are enforced with Discord-shaped errors: content
    2000, 10 embeds, embed field limits and 6000 total (50035), empty messages (50006), double
    acknowledgement (40060), callbacks after 3 s recorded as ``late``, webhook names, command
    schemas, missing permissions (50013).
    ``state.privileged_intents`` is what the Developer Portal has switched on (all by default); an
    IDENTIFY asking for a privileged intent that is off is closed with 4014, as on Discord.

discord.py glue (``discord_harness``): point_discord_py_at(emu), run_bot(bot, emu).
Modules: discord_models / discord_messages / discord_state (data), discord_validation,
discord_gateway, discord_rest + discord_routes + discord_webhooks (HTTP), discord_interactions.
"""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Sequence
from types import TracebackType

from aiohttp import web

from .discord_gateway import GatewayServer
from .discord_harness import point_discord_py_at, run_bot
from .discord_interactions import EmuInteraction, InteractionBuilder
from .discord_messages import EmuCommand, EmuMessage, InteractionCallback
from .discord_models import (
    DEFAULT_BOT_PERMISSIONS,
    DEFAULT_EVERYONE_PERMISSIONS,
    ChannelType,
    EmuChannel,
    EmuGuild,
    EmuMember,
    EmuOverwrite,
    EmuRole,
    EmuUser,
    Intent,
    Perm,
    PermissionsLike,
    SnowflakeFactory,
    perm_value,
)
from .discord_rest import ApiRouter
from .discord_routes import CoreRoutes
from .discord_state import DiscordState, RateLimitRule, RecordedRequest
from .discord_webhooks import WebhookRoutes

__all__ = [
    "ChannelType",
    "DiscordEmulator",
    "EmuChannel",
    "EmuCommand",
    "EmuGuild",
    "EmuInteraction",
    "EmuMember",
    "EmuMessage",
    "EmuRole",
    "EmuUser",
    "EmulatorError",
    "InteractionCallback",
    "Perm",
    "RateLimitRule",
    "RecordedRequest",
    "point_discord_py_at",
    "run_bot",
]


class EmulatorError(AssertionError):
    """The emulator itself crashed while serving a request (a bug in the emulator)."""


class DiscordEmulator(InteractionBuilder):
    def __init__(
        self,
        *,
        bot_name: str = "FumbleBot",
        bot_token: str | None = None,
        heartbeat_interval_ms: int = 41_250,
        host: str = "127.0.0.1",
    ) -> None:
        next_id = SnowflakeFactory()
        bot_user = EmuUser(id=next_id(), username=bot_name, bot=True)
        token = bot_token or f"emu.{secrets.token_urlsafe(24)}"
        self.state = DiscordState(bot_user=bot_user, bot_token=token, application_id=bot_user.id)
        self.state.next_id = next_id
        self.gateway = GatewayServer(self.state, heartbeat_interval_ms=heartbeat_interval_ms)
        self._rest = CoreRoutes(self.state, self.gateway)
        self._webhooks = WebhookRoutes(self.state, self.gateway)
        self._host = host
        self._runner: web.AppRunner | None = None
        self._handles = {}
        self.base_url = ""

    # -- lifecycle ----------------------------------------------------------------------
    async def start(self) -> None:
        app = web.Application(client_max_size=64 * 1024 * 1024)
        app.router.add_get("/", self.gateway.handle)
        ApiRouter(self.state).install(app, self._rest.specs() + self._webhooks.specs())
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=1.0)
        await self._runner.setup()
        await web.TCPSite(self._runner, self._host, 0).start()
        port = self._runner.addresses[0][1]
        self.base_url = self.state.base_url = f"http://{self._host}:{port}"
        self.gateway.url = f"ws://{self._host}:{port}/"

    async def close(self) -> None:
        await self.gateway.close_all()
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> DiscordEmulator:
        await self.start()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        await self.close()
        if exc is None and self.state.emulator_errors:
            raise EmulatorError("\n".join(self.state.emulator_errors))

    @property
    def rest_base(self) -> str:
        return f"{self.base_url}/api/v10"

    @property
    def gateway_url(self) -> str:
        return self.gateway.url

    @property
    def bot_token(self) -> str:
        return self.state.bot_token

    @property
    def bot_user(self) -> EmuUser:
        return self.state.bot_user

    @property
    def application_id(self) -> int:
        return self.state.application_id

    @property
    def requests(self) -> list[RecordedRequest]:
        return self.state.requests

    @property
    def unknown_routes(self) -> list[RecordedRequest]:
        return self.state.unknown_routes

    def requests_for(self, route_or_name: str, method: str | None = None) -> list[RecordedRequest]:
        return [
            r
            for r in self.state.requests
            if route_or_name in (r.route, r.route_name, r.path) and method in (None, r.method)
        ]

    # -- world building ----------------------------------------------------------------------
    def add_user(
        self, username: str, *, global_name: str | None = None, bot: bool = False
    ) -> EmuUser:
        user = EmuUser(id=self.state.next_id(), username=username, global_name=global_name, bot=bot)
        self.state.users[user.id] = user
        return user

    def add_guild(
        self,
        name: str = "Test Guild",
        *,
        owner: EmuUser | None = None,
        bot_permissions: PermissionsLike = DEFAULT_BOT_PERMISSIONS,
        everyone_permissions: PermissionsLike = DEFAULT_EVERYONE_PERMISSIONS,
    ) -> EmuGuild:
        owner = owner or self.add_user(f"{name.lower().replace(' ', '_')}_owner")
        guild_id = self.state.next_id()
        guild = EmuGuild(id=guild_id, name=name, owner_id=owner.id)
        guild.roles[guild_id] = EmuRole(
            guild_id, guild_id, "@everyone", perm_value(everyone_permissions)
        )
        bot_role = EmuRole(
            self.state.next_id(),
            guild_id,
            self.bot_user.username,
            perm_value(bot_permissions),
            1,
            True,
        )
        guild.roles[bot_role.id] = bot_role
        guild.bot_role_id = bot_role.id
        guild.members[owner.id] = EmuMember(guild_id, owner)
        guild.members[self.bot_user.id] = EmuMember(guild_id, self.bot_user, [bot_role.id])
        self.state.guilds[guild_id] = guild
        payload = lambda s: guild.create_payload(  # noqa: E731
            bot_id=self.bot_user.id, all_members=s.has_intent(Intent.GUILD_PRESENCES)
        )
        self.gateway.dispatch("GUILD_CREATE", payload, guild_id=guild_id)
        return guild

    def add_role(self, guild: EmuGuild, name: str, *, permissions: PermissionsLike = 0) -> EmuRole:
        role = EmuRole(
            self.state.next_id(), guild.id, name, perm_value(permissions), len(guild.roles)
        )
        guild.roles[role.id] = role
        data = {"guild_id": str(guild.id), "role": role.to_payload()}
        self.gateway.dispatch("GUILD_ROLE_CREATE", data, intent=Intent.GUILDS, guild_id=guild.id)
        return role

    def add_member(
        self,
        guild: EmuGuild,
        user: EmuUser,
        *,
        permissions: PermissionsLike | None = None,
        roles: Sequence[EmuRole] = (),
        nick: str | None = None,
    ) -> EmuMember:
        role_ids = [r.id for r in roles]
        if permissions is not None:
            role_ids.append(
                self.add_role(guild, f"{user.username}-perms", permissions=permissions).id
            )
        member = EmuMember(guild.id, user, role_ids, nick)
        guild.members[user.id] = member
        data = {**member.to_payload(), "guild_id": str(guild.id)}
        self.gateway.dispatch(
            "GUILD_MEMBER_ADD", data, intent=Intent.GUILD_MEMBERS, guild_id=guild.id
        )
        return member

    def add_channel(
        self,
        guild: EmuGuild,
        name: str,
        *,
        type: int = ChannelType.TEXT,
        topic: str | None = None,
        category: EmuChannel | None = None,
    ) -> EmuChannel:
        channel = EmuChannel(
            id=self.state.next_id(),
            type=type,
            name=name,
            guild_id=guild.id,
            position=len(guild.channels),
            topic=topic,
            parent_id=category.id if category else None,
        )
        guild.channels[channel.id] = channel
        self.state.channels[channel.id] = channel
        self.gateway.dispatch(
            "CHANNEL_CREATE", channel.to_payload(), intent=Intent.GUILDS, guild_id=guild.id
        )
        return channel

    def add_text_channel(
        self,
        guild: EmuGuild,
        name: str = "general",
        *,
        topic: str | None = None,
        category: EmuChannel | None = None,
    ) -> EmuChannel:
        return self.add_channel(guild, name, topic=topic, category=category)

    def add_category(self, guild: EmuGuild, name: str) -> EmuChannel:
        return self.add_channel(guild, name, type=ChannelType.CATEGORY)

    def set_permissions(
        self,
        channel: EmuChannel,
        target: EmuRole | EmuUser | EmuMember,
        *,
        allow: PermissionsLike = 0,
        deny: PermissionsLike = 0,
    ) -> None:
        kind = 0 if isinstance(target, EmuRole) else 1
        channel.overwrites = [o for o in channel.overwrites if o.target_id != target.id]
        channel.overwrites.append(
            EmuOverwrite(target.id, kind, perm_value(allow), perm_value(deny))
        )
        self.gateway.dispatch(
            "CHANNEL_UPDATE", channel.to_payload(), intent=Intent.GUILDS, guild_id=channel.guild_id
        )

    def dm_channel(self, user: EmuUser) -> EmuChannel:
        for channel in self.state.channels.values():
            if channel.type == ChannelType.DM and channel.recipients == [user]:
                return channel
        channel = EmuChannel(self.state.next_id(), ChannelType.DM, "", None, recipients=[user])
        self.state.channels[channel.id] = channel
        return channel

    # -- waiting -------------------------------------------------------------------------
    async def wait_ready(self, timeout: float = 10.0) -> None:
        """The bot IDENTIFYed and was sent READY plus a GUILD_CREATE per guild."""
        await self.state.wait_until(
            lambda: bool(self.gateway.ready_sessions()), timeout, "gateway READY"
        )

    async def wait_commands_synced(
        self, guild: EmuGuild | None = None, *, timeout: float = 10.0
    ) -> list[EmuCommand]:
        """Wait for a bulk overwrite (``tree.sync()``): of ``guild``, or of any scope if None.
        Returns the commands registered in that scope."""

        def check() -> list[EmuCommand] | None:
            for sync in reversed(self.state.command_syncs):
                if guild is None or sync.guild_id == guild.id:
                    scope = self.state.guilds.get(sync.guild_id) if sync.guild_id else None
                    return self.commands(scope)
            return None

        return await self.state.wait_until(check, timeout, "application command sync")

    def commands(self, guild: EmuGuild | None = None) -> list[EmuCommand]:
        gid = guild.id if guild else None
        return [c for c in self.state.commands.values() if c.guild_id == gid]

    # -- messages ---------------------------------------------------------------------------
    async def post_message(
        self,
        channel: EmuChannel,
        user: EmuUser,
        content: str = "",
        *,
        files: Sequence[tuple[str, bytes] | tuple[str, bytes, str]] = (),
        reply_to: EmuMessage | None = None,
    ) -> EmuMessage:
        """A user posts in ``channel``; the bot receives MESSAGE_CREATE."""
        msg = self.state.new_message(channel, user.to_payload(), "user")
        member = self.state.member(channel.guild_id, user.id)
        msg.member = member.to_payload(include_user=False) if member else None
        msg.content = content
        for spec in files:
            ctype = spec[2] if len(spec) == 3 else None
            msg.attachments.append(self.state.new_attachment(channel.id, spec[0], spec[1], ctype))
        if reply_to is not None:
            msg.type = 19
            msg.message_reference = {"message_id": str(reply_to.id), "channel_id": str(channel.id)}
        self.state.resolve_mentions(msg)
        self._rest.dispatch_message("MESSAGE_CREATE", msg)
        self.state.notify()
        await asyncio.sleep(0)
        return msg

    def channel_messages(
        self, channel: EmuChannel, *, include_users: bool = False, include_ephemeral: bool = False
    ) -> list[EmuMessage]:
        """Messages in ``channel`` (oldest first) from the bot, its webhooks and interactions."""
        return [
            m
            for m in self.state.channel_messages(channel.id)
            if (include_users or m.source != "user") and (include_ephemeral or not m.ephemeral)
        ]

    async def wait_channel_message(
        self,
        channel: EmuChannel,
        predicate: Callable[[EmuMessage], bool] | None = None,
        *,
        after: EmuMessage | None = None,
        timeout: float = 5.0,
    ) -> EmuMessage:
        def check() -> EmuMessage | None:
            for msg in self.channel_messages(channel):
                if (after is None or msg.id > after.id) and (predicate is None or predicate(msg)):
                    return msg
            return None

        return await self.state.wait_until(check, timeout, f"a bot message in #{channel.name}")

    def get_message(self, message_id: int) -> EmuMessage | None:
        return self.state.messages.get(message_id)

    # -- faults ------------------------------------------------------------------------------
    def inject_rate_limit(
        self,
        method: str,
        path_pattern_or_route_name: str,
        retry_after: float = 0.2,
        count: int = 1,
        global_: bool = False,
    ) -> RateLimitRule:
        rule = RateLimitRule(
            method=method.upper(),
            pattern=path_pattern_or_route_name,
            retry_after=retry_after,
            remaining=count,
            global_=global_,
            bucket=secrets.token_hex(16),
        )
        self.state.rate_limits.append(rule)
        return rule

    async def reconnect_gateway(self, timeout: float = 5.0) -> None:
        """Send op 7 RECONNECT and wait until every live session has RESUMEd on a new socket."""
        before = self.gateway.resumes
        expected = len(self.gateway.ready_sessions())
        await self.gateway.request_reconnect()
        await self.state.wait_until(
            lambda: self.gateway.resumes - before >= expected, timeout, "the client to RESUME"
        )
