"""Core REST routes of the Discord emulator: users, application, application commands,
channels, messages and guilds. (Interactions and webhooks: ``discord_webhooks``.)"""

from __future__ import annotations

import time

from aiohttp import web

from .discord_messages import CommandSync, EmuCommand
from .discord_models import (
    JSON,
    ChannelType,
    EmuChannel,
    EmuOverwrite,
    EmuUser,
    Intent,
    MessageFlag,
    Perm,
)
from .discord_rest import Body, RestBase, Result, RouteSpec, _int
from .discord_validation import (
    ApiError,
    FormErrors,
    check_commands,
    check_message,
    missing_permissions,
    not_found,
)


class CoreRoutes(RestBase):
    """Users, application, commands, channels, messages, guilds."""

    def specs(self) -> list[RouteSpec]:
        R = RouteSpec
        cmds, gcmds = (
            "/applications/{application_id}/commands",
            "/applications/{application_id}/guilds/{guild_id}/commands",
        )
        msgs = "/channels/{channel_id}/messages"
        return [
            R("GET", "/users/@me", "get_current_user", self.get_current_user),
            R("GET", "/users/{user_id}", "get_user", self.get_user),
            R("POST", "/users/@me/channels", "start_private_message", self.create_dm),
            R("GET", "/gateway", "get_gateway", self.get_gateway, auth=False),
            R("GET", "/gateway/bot", "get_bot_gateway", self.get_gateway),
            R("GET", "/oauth2/applications/@me", "application_info", self.application_info),
            R("GET", "/applications/@me", "application_info_v2", self.application_info),
            R("GET", cmds, "get_global_commands", self.list_commands),
            R("PUT", cmds, "bulk_upsert_global_commands", self.overwrite_commands),
            R("POST", cmds, "upsert_global_command", self.upsert_command),
            R("GET", cmds + "/{command_id}", "get_global_command", self.get_command),
            R("PATCH", cmds + "/{command_id}", "edit_global_command", self.edit_command),
            R("DELETE", cmds + "/{command_id}", "delete_global_command", self.delete_command),
            R("GET", gcmds, "get_guild_commands", self.list_commands),
            R("PUT", gcmds, "bulk_upsert_guild_commands", self.overwrite_commands),
            R("POST", gcmds, "upsert_guild_command", self.upsert_command),
            R("GET", gcmds + "/{command_id}", "get_guild_command", self.get_command),
            R("PATCH", gcmds + "/{command_id}", "edit_guild_command", self.edit_command),
            R("DELETE", gcmds + "/{command_id}", "delete_guild_command", self.delete_command),
            R("GET", "/channels/{channel_id}", "get_channel", self.get_channel),
            R("GET", msgs, "logs_from", self.list_messages),
            R("POST", msgs, "send_message", self.create_message),
            R("GET", msgs + "/{message_id}", "get_message", self.get_message),
            R("PATCH", msgs + "/{message_id}", "edit_message", self.edit_message),
            R("DELETE", msgs + "/{message_id}", "delete_message", self.delete_message),
            R(
                "PUT",
                msgs + "/{message_id}/reactions/{emoji}/@me",
                "add_reaction",
                self.add_reaction,
            ),
            R("POST", "/channels/{channel_id}/typing", "send_typing", self.typing),
            R("GET", "/guilds/{guild_id}", "get_guild", self.get_guild),
            R(
                "GET",
                "/guilds/{guild_id}/channels",
                "get_all_guild_channels",
                self.list_guild_channels,
            ),
            R("POST", "/guilds/{guild_id}/channels", "create_channel", self.create_guild_channel),
            R("GET", "/guilds/{guild_id}/roles", "get_roles", self.list_roles),
            R("GET", "/guilds/{guild_id}/members", "get_members", self.list_members),
            R("GET", "/guilds/{guild_id}/members/{user_id}", "get_member", self.get_member),
        ]

    # -- users / application -------------------------------------------------------------
    async def get_current_user(self, request: web.Request, body: Body) -> Result:
        return {**self.state.bot_user.to_payload(), "verified": True, "mfa_enabled": False}

    async def get_user(self, request: web.Request, body: Body) -> Result:
        user = self.state.users.get(_int(request.match_info["user_id"]))
        if user is None:
            raise not_found(10013, "User")
        return user.to_payload()

    async def create_dm(self, request: web.Request, body: Body) -> Result:
        user = self.state.users.get(_int(body.obj().get("recipient_id")))
        if user is None:
            raise not_found(10013, "User")
        for channel in self.state.channels.values():
            if channel.type == ChannelType.DM and channel.recipients == [user]:
                return channel.to_payload()
        dm = EmuChannel(
            id=self.state.next_id(), type=ChannelType.DM, name="", guild_id=None, recipients=[user]
        )
        self.state.channels[dm.id] = dm
        return dm.to_payload()

    async def get_gateway(self, request: web.Request, body: Body) -> Result:
        limit = {"total": 1000, "remaining": 999, "reset_after": 14_400_000, "max_concurrency": 16}
        return {"url": self.gateway.url, "shards": 1, "session_start_limit": limit}

    async def application_info(self, request: web.Request, body: Body) -> Result:
        return {
            "id": str(self.state.application_id),
            "name": self.state.bot_user.username,
            "icon": None,
            "description": "",
            "summary": "",
            "bot_public": True,
            "bot_require_code_grant": False,
            "verify_key": "0" * 64,
            "flags": 0,
            "owner": self._owner().to_payload(),
            "team": None,
            "bot": self.state.bot_user.to_payload(),
            "interactions_endpoint_url": None,
        }

    def _owner(self) -> EmuUser:
        humans = [u for u in self.state.users.values() if not u.bot]
        return humans[0] if humans else self.state.bot_user

    # -- application commands ------------------------------------------------------------
    def _command_scope(self, request: web.Request) -> int | None:
        if _int(request.match_info["application_id"]) != self.state.application_id:
            raise not_found(10002, "Application")
        raw = request.match_info.get("guild_id")
        return None if raw is None else self.guild(raw).id

    def _commands(self, guild_id: int | None) -> list[EmuCommand]:
        return [c for c in self.state.commands.values() if c.guild_id == guild_id]

    def _store_command(
        self, guild_id: int | None, payload: JSON, existing: EmuCommand | None
    ) -> EmuCommand:
        clean = {
            k: v
            for k, v in payload.items()
            if k not in ("id", "application_id", "version", "guild_id")
        }
        cmd = EmuCommand(
            id=existing.id if existing else self.state.next_id(),
            application_id=self.state.application_id,
            guild_id=guild_id,
            payload=clean,
            version=self.state.next_id(),
        )
        self.state.commands[cmd.id] = cmd
        return cmd

    async def list_commands(self, request: web.Request, body: Body) -> Result:
        return [c.to_payload() for c in self._commands(self._command_scope(request))]

    async def overwrite_commands(self, request: web.Request, body: Body) -> Result:
        guild_id = self._command_scope(request)
        if not isinstance(body.json, list):
            raise ApiError(400, 50109, "The request body contains invalid JSON.")
        check_commands(body.json)
        old = {(c.name, c.type): c for c in self._commands(guild_id)}
        for cmd in old.values():
            del self.state.commands[cmd.id]
        stored = [
            self._store_command(guild_id, p, old.get((str(p["name"]), int(p.get("type", 1)))))
            for p in body.json
        ]
        names = tuple(c.name for c in stored)
        self.state.command_syncs.append(CommandSync(guild_id, names, time.monotonic()))
        return [c.to_payload() for c in stored]

    async def upsert_command(self, request: web.Request, body: Body) -> Result:
        guild_id = self._command_scope(request)
        payload = body.obj()
        check_commands([payload])
        key = (str(payload["name"]), int(payload.get("type", 1)))
        existing = next((c for c in self._commands(guild_id) if (c.name, c.type) == key), None)
        return self._store_command(guild_id, payload, existing).to_payload()

    def _command(self, request: web.Request) -> EmuCommand:
        guild_id = self._command_scope(request)
        cmd = self.state.commands.get(_int(request.match_info["command_id"]))
        if cmd is None or cmd.guild_id != guild_id:
            raise not_found(10063, "application command")
        return cmd

    async def get_command(self, request: web.Request, body: Body) -> Result:
        return self._command(request).to_payload()

    async def edit_command(self, request: web.Request, body: Body) -> Result:
        cmd = self._command(request)
        merged = {**cmd.payload, **body.obj()}
        check_commands([merged])
        return self._store_command(cmd.guild_id, merged, cmd).to_payload()

    async def delete_command(self, request: web.Request, body: Body) -> Result:
        del self.state.commands[self._command(request).id]
        return None

    # -- channels & messages ---------------------------------------------------------------
    async def get_channel(self, request: web.Request, body: Body) -> Result:
        return self.channel(request.match_info["channel_id"]).to_payload()

    async def list_messages(self, request: web.Request, body: Body) -> Result:
        channel = self.channel(request.match_info["channel_id"])
        self.require(channel, Perm.READ_MESSAGE_HISTORY)
        msgs = sorted(self.state.channel_messages(channel.id), key=lambda m: m.id, reverse=True)
        msgs = [m for m in msgs if not m.ephemeral]
        if "before" in request.query:
            msgs = [m for m in msgs if m.id < _int(request.query["before"])]
        if "after" in request.query:
            msgs = [m for m in msgs if m.id > _int(request.query["after"])]
        limit = min(int(request.query.get("limit", 50)), 100)
        return [m.to_payload() for m in msgs[:limit]]

    async def create_message(self, request: web.Request, body: Body) -> Result:
        channel = self.channel(request.match_info["channel_id"])
        data = body.obj()
        self.require(channel, Perm.SEND_MESSAGES | (Perm.ATTACH_FILES if body.files else 0))
        check_message(data, has_files=bool(body.files))
        msg = self.state.new_message(channel, self.state.bot_author(), "bot")
        msg.member = self.bot_member_payload(channel.guild_id)
        self.apply_body(msg, data, body.files, editing=False)
        msg.flags &= ~MessageFlag.EPHEMERAL  # not allowed outside interactions
        self.dispatch_message("MESSAGE_CREATE", msg)
        return msg.to_payload()

    async def get_message(self, request: web.Request, body: Body) -> Result:
        channel = self.channel(request.match_info["channel_id"])
        self.require(channel, Perm.READ_MESSAGE_HISTORY)
        return self.message(channel, request.match_info["message_id"]).to_payload()

    async def edit_message(self, request: web.Request, body: Body) -> Result:
        channel = self.channel(request.match_info["channel_id"])
        msg = self.message(channel, request.match_info["message_id"])
        if msg.author_id != self.state.bot_user.id:
            raise ApiError(403, 50005, "Cannot edit a message authored by another user")
        check_message(body.obj(), creating=False)
        self.apply_body(msg, body.obj(), body.files, editing=True)
        self.dispatch_message("MESSAGE_UPDATE", msg)
        return msg.to_payload()

    async def delete_message(self, request: web.Request, body: Body) -> Result:
        channel = self.channel(request.match_info["channel_id"])
        msg = self.message(channel, request.match_info["message_id"])
        if msg.author_id != self.state.bot_user.id:
            self.require(channel, Perm.MANAGE_MESSAGES)
        self.dispatch_delete(msg)
        return None

    async def add_reaction(self, request: web.Request, body: Body) -> Result:
        channel = self.channel(request.match_info["channel_id"])
        self.require(channel, Perm.ADD_REACTIONS | Perm.READ_MESSAGE_HISTORY)
        msg = self.message(channel, request.match_info["message_id"])
        msg.reactions.append((request.match_info["emoji"], self.state.bot_user.id))
        return None

    async def typing(self, request: web.Request, body: Body) -> Result:
        self.channel(request.match_info["channel_id"])
        return None

    # -- guilds -------------------------------------------------------------------------
    async def get_guild(self, request: web.Request, body: Body) -> Result:
        guild = self.guild(request.match_info["guild_id"])
        return {**guild.base_payload(), "approximate_member_count": len(guild.members)}

    async def list_guild_channels(self, request: web.Request, body: Body) -> Result:
        return [
            c.to_payload() for c in self.guild(request.match_info["guild_id"]).channels.values()
        ]

    async def create_guild_channel(self, request: web.Request, body: Body) -> Result:
        guild = self.guild(request.match_info["guild_id"])
        if not self.state.base_permissions(guild, self.state.bot_user.id) & Perm.MANAGE_CHANNELS:
            raise missing_permissions()
        data = body.obj()
        errors = FormErrors()
        if not data.get("name"):
            errors.add(("name",), "BASE_TYPE_REQUIRED", "This field is required")
        errors.max_length(("name",), data.get("name"), 100)
        errors.raise_if_any()
        channel = EmuChannel(
            id=self.state.next_id(),
            type=int(data.get("type") or 0),
            name=str(data["name"]),
            guild_id=guild.id,
            position=int(data.get("position") or len(guild.channels)),
            topic=data.get("topic"),
            parent_id=_int(data["parent_id"]) if data.get("parent_id") else None,
            overwrites=[
                EmuOverwrite(
                    _int(o["id"]),
                    int(o.get("type", 0)),
                    _int(o.get("allow", 0)),
                    _int(o.get("deny", 0)),
                )
                for o in data.get("permission_overwrites") or []
            ],
        )
        guild.channels[channel.id] = channel
        self.state.channels[channel.id] = channel
        self.gateway.dispatch(
            "CHANNEL_CREATE", channel.to_payload(), intent=Intent.GUILDS, guild_id=guild.id
        )
        return channel.to_payload()

    async def list_roles(self, request: web.Request, body: Body) -> Result:
        return [r.to_payload() for r in self.guild(request.match_info["guild_id"]).roles.values()]

    async def list_members(self, request: web.Request, body: Body) -> Result:
        guild = self.guild(request.match_info["guild_id"])
        after = _int(request.query.get("after", 0))
        limit = min(int(request.query.get("limit", 1)), 1000)
        members = sorted((m for m in guild.members.values() if m.id > after), key=lambda m: m.id)
        return [m.to_payload() for m in members[:limit]]

    async def get_member(self, request: web.Request, body: Body) -> Result:
        guild = self.guild(request.match_info["guild_id"])
        member = guild.members.get(_int(request.match_info["user_id"]))
        if member is None:
            raise not_found(10007, "Member")
        return member.to_payload()
