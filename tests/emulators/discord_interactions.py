"""Building and dispatching INTERACTION_CREATE (slash commands, autocomplete, components) and the
test-facing :class:`EmuInteraction` handle. Mixed into ``DiscordEmulator``."""

from __future__ import annotations

import asyncio
import secrets
from collections.abc import Callable, Mapping, Sequence
from typing import Any

from .discord_gateway import GatewayServer
from .discord_messages import EmuAttachment, EmuCommand, EmuMessage, InteractionCallback
from .discord_models import (
    ATTACHMENT_SIZE_LIMIT,
    JSON,
    EmuChannel,
    EmuGuild,
    EmuMember,
    EmuRole,
    EmuUser,
)
from .discord_state import DiscordState, InteractionRecord

SUBCOMMAND, SUBCOMMAND_GROUP = 1, 2
STRING, INTEGER, BOOLEAN, USER, CHANNEL, ROLE, MENTIONABLE, NUMBER, ATTACHMENT = (
    3,
    4,
    5,
    6,
    7,
    8,
    9,
    10,
    11,
)


class EmuInteraction:
    """Handle on one dispatched interaction: what the bot answered, followups, original message."""

    def __init__(self, emu: InteractionBuilder, record: InteractionRecord) -> None:
        self._emu = emu
        self.record = record
        self._followups_seen = 0

    def __repr__(self) -> str:
        return f"<EmuInteraction id={self.id} type={self.type} response={self.response!r}>"

    @property
    def id(self) -> int:
        return self.record.id

    @property
    def token(self) -> str:
        return self.record.token

    @property
    def type(self) -> int:
        return self.record.type

    @property
    def payload(self) -> JSON:
        """The INTERACTION_CREATE ``d`` sent to the bot."""
        return self.record.payload

    @property
    def response(self) -> InteractionCallback | None:
        return self.record.callback

    @property
    def late(self) -> bool:
        """True if the first callback came after Discord's 3 s deadline."""
        return self.record.callback is not None and self.record.callback.late

    @property
    def rejected_callbacks(self) -> list[JSON]:
        """Bodies of callbacks refused with 40060 (already acknowledged)."""
        return self.record.rejected_callbacks

    @property
    def followups(self) -> list[EmuMessage]:
        msgs = self._emu.state.messages
        return [msgs[i] for i in self.record.followup_ids]

    async def wait_response(self, timeout: float = 5.0) -> InteractionCallback:
        return await self._emu.state.wait_until(
            lambda: self.record.callback, timeout, f"a response to interaction {self.id}"
        )

    async def wait_followup(self, timeout: float = 5.0) -> EmuMessage:
        """Return the next followup not yet returned by this method (waits for it)."""
        index = self._followups_seen

        def check() -> EmuMessage | None:
            ids = self.record.followup_ids
            return self._emu.state.messages[ids[index]] if len(ids) > index else None

        msg = await self._emu.state.wait_until(
            check, timeout, f"followup #{index + 1} of interaction {self.id}"
        )
        self._followups_seen += 1
        return msg

    def original_message(self) -> EmuMessage | None:
        """The current state of ``@original`` (after edits), or None if there is none."""
        mid = self.record.original_message_id
        return self._emu.state.messages.get(mid) if mid is not None else None

    async def wait_original(
        self, predicate: Callable[[EmuMessage], bool] | None = None, timeout: float = 5.0
    ) -> EmuMessage:
        """Wait until ``@original`` exists, is no longer a deferred placeholder and matches."""

        def check() -> EmuMessage | None:
            msg = self.original_message()
            if msg is None or msg.loading or (predicate is not None and not predicate(msg)):
                return None
            return msg

        return await self._emu.state.wait_until(
            check, timeout, f"original response of interaction {self.id}"
        )

    def _message_with(self, custom_id: str) -> EmuMessage:
        candidates = [self.original_message(), *reversed(self.followups)]
        for msg in sorted((m for m in candidates if m is not None), key=lambda m: -m.id):
            if msg.find_component(custom_id) is not None:
                return msg
        raise LookupError(f"no message of interaction {self.id} has a component {custom_id!r}")

    async def click_button(
        self, custom_id: str, user: EmuUser | None = None, *, message: EmuMessage | None = None
    ) -> EmuInteraction:
        """Click a button on this interaction's newest message carrying ``custom_id``."""
        target = message or self._message_with(custom_id)
        return await self._emu.click_button(target, custom_id, user or self._user())

    async def select(
        self, custom_id: str, values: Sequence[str], user: EmuUser | None = None
    ) -> EmuInteraction:
        return await self._emu.select(
            self._message_with(custom_id), custom_id, values, user or self._user()
        )

    def _user(self) -> EmuUser:
        return self._emu.state.users[self.record.user_id]


class InteractionBuilder:
    state: DiscordState
    gateway: GatewayServer
    _handles: dict[int, EmuInteraction]

    async def wait_ready(self, timeout: float = 10.0) -> None:
        raise NotImplementedError

    @property
    def interactions(self) -> list[EmuInteraction]:
        """Every interaction dispatched so far (oldest first)."""
        return [self._handles[i] for i in self.state.interactions]

    def find_command(self, name: str, guild: EmuGuild | None = None) -> EmuCommand:
        """Guild command first, then global - like the Discord client."""
        root = name.split()[0]
        scopes = ([guild.id] if guild else []) + [None]
        for gid in scopes:
            for cmd in self.state.commands.values():
                if cmd.guild_id == gid and cmd.name == root and cmd.type == 1:
                    return cmd
        known = sorted(c.name for c in self.state.commands.values() if c.guild_id in scopes)
        raise LookupError(
            f"slash command /{root} is not registered (registered: {known}); did the bot sync?"
        )

    async def invoke_slash(
        self,
        guild: EmuGuild | None,
        channel: EmuChannel,
        user: EmuUser,
        command: str,
        options: Mapping[str, Any] | None = None,
        *,
        locale: str = "en-US",
    ) -> EmuInteraction:
        """Run ``/command`` (``"group sub"`` paths allowed) as ``user``; option types come from
        the registered schema. User/channel/role/attachment options take Emu objects (or
        ``(filename, bytes)`` for attachments)."""
        cmd = self.find_command(command, guild)
        data = self._command_data(cmd, command.split(), dict(options or {}), None, channel, user)
        return await self._dispatch(2, guild, channel, user, data, locale=locale)

    async def autocomplete(
        self,
        guild: EmuGuild | None,
        channel: EmuChannel,
        user: EmuUser,
        command: str,
        options: Mapping[str, Any],
        *,
        focused: str,
        timeout: float = 5.0,
    ) -> list[JSON]:
        """Send an autocomplete (type 4) interaction and return the bot's ``choices``."""
        cmd = self.find_command(command, guild)
        data = self._command_data(cmd, command.split(), dict(options), focused, channel, user)
        inter = await self._dispatch(4, guild, channel, user, data)
        return (await inter.wait_response(timeout)).choices

    async def click_button(
        self, message: EmuMessage, custom_id: str, user: EmuUser
    ) -> EmuInteraction:
        comp = self._component(message, custom_id, (2,))
        if comp.get("style") in (5, 6):
            raise ValueError(
                f"button {custom_id!r} is a link/premium button; it sends no interaction"
            )
        return await self._component_interaction(
            message, user, {"custom_id": custom_id, "component_type": 2}
        )

    async def select(
        self, message: EmuMessage, custom_id: str, values: Sequence[str], user: EmuUser
    ) -> EmuInteraction:
        comp = self._component(message, custom_id, (3, 5, 6, 7, 8))
        if comp.get("type") == 3:
            allowed = {o["value"] for o in comp.get("options") or []}
            bad = [v for v in values if v not in allowed]
            if bad:
                raise ValueError(
                    f"{bad} are not options of select {custom_id!r} ({sorted(allowed)})"
                )
        data = {"custom_id": custom_id, "component_type": comp["type"], "values": list(values)}
        return await self._component_interaction(message, user, data)

    # -- internals -----------------------------------------------------------------------
    def _component(self, message: EmuMessage, custom_id: str, types: tuple[int, ...]) -> JSON:
        comp = message.find_component(custom_id)
        if comp is None or comp.get("type") not in types:
            raise LookupError(
                f"message {message.id} has no such component {custom_id!r}: {message.custom_ids}"
            )
        if comp.get("disabled"):
            raise ValueError(
                f"component {custom_id!r} is disabled; Discord would not send the click"
            )
        return comp

    async def _component_interaction(
        self, message: EmuMessage, user: EmuUser, data: JSON
    ) -> EmuInteraction:
        guild = self.state.guilds.get(message.guild_id) if message.guild_id else None
        channel = self.state.channels[message.channel_id]
        return await self._dispatch(3, guild, channel, user, data, message=message)

    async def _dispatch(
        self,
        itype: int,
        guild: EmuGuild | None,
        channel: EmuChannel,
        user: EmuUser,
        data: JSON,
        *,
        message: EmuMessage | None = None,
        locale: str = "en-US",
    ) -> EmuInteraction:
        await self.wait_ready(timeout=5.0)
        state = self.state
        bot_id = state.bot_user.id
        rec = InteractionRecord(
            id=state.next_id(),
            token=f"emu-interaction.{secrets.token_urlsafe(32)}",
            type=itype,
            guild_id=guild.id if guild else None,
            channel_id=channel.id,
            user_id=user.id,
            data=data,
            payload={},
            created_at=0.0,
            source_message_id=message.id if message else None,
        )
        payload: JSON = {
            "id": str(rec.id),
            "application_id": str(state.application_id),
            "type": itype,
            "token": rec.token,
            "version": 1,
            "data": data,
            "channel_id": str(channel.id),
            "channel": {
                **channel.to_payload(),
                "permissions": str(state.permissions_for(channel, user.id)),
            },
            "app_permissions": str(state.permissions_for(channel, bot_id)),
            "locale": locale,
            "entitlements": [],
            "attachment_size_limit": ATTACHMENT_SIZE_LIMIT,
        }
        if guild is not None:
            member = self._member(guild, user)
            payload.update(
                guild_id=str(guild.id),
                guild={"id": str(guild.id), "locale": "en-US", "features": []},
                guild_locale="en-US",
                member=member.to_payload(permissions=state.permissions_for(channel, user.id)),
                authorizing_integration_owners={"0": str(guild.id)},
                context=0,
            )
        else:
            payload.update(
                user=user.to_payload(), authorizing_integration_owners={"0": "0"}, context=1
            )
        if message is not None:
            payload["message"] = message.to_payload()
        rec.payload = payload
        rec.created_at = asyncio.get_running_loop().time()
        state.interactions[rec.id] = rec
        self.gateway.dispatch("INTERACTION_CREATE", payload, guild_id=rec.guild_id)
        state.notify()
        handle = self._handles[rec.id] = EmuInteraction(self, rec)
        return handle

    def _member(self, guild: EmuGuild, user: EmuUser) -> EmuMember:
        member = guild.members.get(user.id)
        if member is None:
            raise LookupError(
                f"{user.username} is not a member of {guild.name}; use emu.add_member()"
            )
        return member

    def _command_data(
        self,
        cmd: EmuCommand,
        path: list[str],
        options: dict[str, Any],
        focused: str | None,
        channel: EmuChannel,
        user: EmuUser,
    ) -> JSON:
        schema = cmd.options
        chain: list[JSON] = []
        for name in path[1:]:
            sub = next((o for o in schema if o["name"] == name and o.get("type") in (1, 2)), None)
            if sub is None:
                subs = [o["name"] for o in schema if o.get("type") in (1, 2)]
                raise LookupError(f"/{' '.join(path)}: no subcommand {name!r} (available: {subs})")
            chain.append(sub)
            schema = list(sub.get("options") or [])
        if any(o.get("type") in (1, 2) for o in schema):
            subs = [o["name"] for o in schema if o.get("type") in (1, 2)]
            raise LookupError(f"/{' '.join(path)} is a group; invoke one of its subcommands {subs}")
        by_name = {o["name"]: o for o in schema}
        unknown = set(options) - set(by_name)
        if unknown:
            raise LookupError(
                f"/{' '.join(path)} has no options {sorted(unknown)} (has {sorted(by_name)})"
            )
        if focused is None:
            missing = [n for n, o in by_name.items() if o.get("required") and n not in options]
            if missing:
                raise ValueError(f"/{' '.join(path)}: required options missing: {missing}")
        elif focused not in options:
            raise ValueError(f"focused option {focused!r} needs a (partial) value in options")
        resolved: JSON = {}
        leaf = [
            self._option(by_name[name], value, name == focused, resolved, channel, user)
            for name, value in options.items()
        ]
        for sub in reversed(chain):
            leaf = [{"type": sub["type"], "name": sub["name"], "options": leaf}]
        data: JSON = {"id": str(cmd.id), "name": cmd.name, "type": 1, "options": leaf}
        if cmd.guild_id is not None:
            data["guild_id"] = str(cmd.guild_id)
        if resolved:
            data["resolved"] = resolved
        return data

    def _option(
        self,
        schema: JSON,
        value: Any,
        focused: bool,
        resolved: JSON,
        channel: EmuChannel,
        user: EmuUser,
    ) -> JSON:
        otype = int(schema["type"])
        out: JSON = {"name": schema["name"], "type": otype}
        if focused:
            return {**out, "value": str(value), "focused": True}
        if otype == STRING:
            out["value"] = str(value)
        elif otype == INTEGER:
            out["value"] = int(value)
        elif otype == BOOLEAN:
            out["value"] = bool(value)
        elif otype == NUMBER:
            out["value"] = float(value)
        else:
            out["value"] = self._resolve(otype, value, resolved, channel, user)
        choices = schema.get("choices")
        if choices and out["value"] not in [c["value"] for c in choices]:
            names = [c["value"] for c in choices]
            raise ValueError(
                f"{out['value']!r} is not a choice of option {schema['name']!r}: {names}"
            )
        return out

    def _resolve(
        self, otype: int, value: Any, resolved: JSON, channel: EmuChannel, user: EmuUser
    ) -> str:
        state = self.state
        if isinstance(value, EmuMember):
            value = value.user
        if isinstance(value, EmuUser) and otype in (USER, MENTIONABLE):
            resolved.setdefault("users", {})[str(value.id)] = value.to_payload()
            member = state.member(channel.guild_id, value.id)
            if member is not None:
                perms = state.permissions_for(channel, value.id)
                member_payload = member.to_payload(include_user=False, permissions=perms)
                resolved.setdefault("members", {})[str(value.id)] = member_payload
            return str(value.id)
        if isinstance(value, EmuRole) and otype in (ROLE, MENTIONABLE):
            resolved.setdefault("roles", {})[str(value.id)] = value.to_payload()
            return str(value.id)
        if isinstance(value, EmuChannel) and otype == CHANNEL:
            entry = {
                **value.to_payload(),
                "permissions": str(state.permissions_for(value, user.id)),
            }
            resolved.setdefault("channels", {})[str(value.id)] = entry
            return str(value.id)
        if otype == ATTACHMENT:
            if isinstance(value, tuple):
                value = state.new_attachment(
                    channel.id, value[0], value[1], value[2] if len(value) > 2 else None
                )
            if isinstance(value, EmuAttachment):
                resolved.setdefault("attachments", {})[str(value.id)] = value.to_payload()
                return str(value.id)
        raise TypeError(f"option type {otype} needs an Emu object, got {value!r}")
