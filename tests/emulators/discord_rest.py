"""REST half of the Discord emulator: routing, recording, fault injection and the core routes.

Interaction callbacks, followups and channel webhooks live in ``discord_webhooks``.
Every route is registered under ``/api/v10`` with discord.py's own path templates, so a
``RecordedRequest.route`` reads exactly like the ``Route(...)`` discord.py used.
"""

from __future__ import annotations

import json
import logging
import math
import time
import traceback
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from aiohttp import BodyPartReader, web

from .discord_gateway import GatewayServer, GatewaySession
from .discord_messages import EmuAttachment, EmuMessage
from .discord_models import (
    JSON,
    EmuChannel,
    EmuGuild,
    Intent,
    MessageFlag,
    Perm,
    iso_now,
)
from .discord_state import DiscordState, RateLimitRule, RecordedRequest
from .discord_validation import (
    ApiError,
    missing_permissions,
    not_found,
)

API_PREFIX = "/api/v10"
_log = logging.getLogger(__name__)


@dataclass
class UploadedFile:
    field: str
    filename: str
    content_type: str | None
    data: bytes


@dataclass
class Body:
    json: Any
    files: list[UploadedFile]

    def obj(self) -> JSON:
        return self.json if isinstance(self.json, dict) else {}


Result = Any  # JSON-able value, or None for "204 No Content"
Handler = Callable[[web.Request, Body], Awaitable[Result]]


@dataclass
class RouteSpec:
    method: str
    template: str  # discord.py-style, relative to /api/v10
    name: str
    handler: Handler
    auth: bool = True


def json_response(
    data: Any, status: int = 200, headers: dict[str, str] | None = None
) -> web.Response:
    """Discord answers with ``Content-Type: application/json`` exactly (no charset)."""
    if data is None and status == 204:
        # Discord sends no body and no Content-Type with a 204; discord.py would try to
        # decode an empty "application/json" body and fail.
        return web.Response(status=204, headers=headers or {})
    all_headers = {"Content-Type": "application/json", **(headers or {})}
    return web.Response(status=status, body=json.dumps(data).encode(), headers=all_headers)


async def read_body(request: web.Request) -> Body:
    if not request.body_exists:
        return Body(None, [])
    if request.content_type == "multipart/form-data":
        payload: Any = None
        files: list[UploadedFile] = []
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader):
                continue
            data = await part.read()
            name = part.name or ""
            if name == "payload_json":
                payload = json.loads(data)
            else:
                ctype = part.headers.get("Content-Type")
                files.append(UploadedFile(name, part.filename or name, ctype, bytes(data)))
        return Body(payload, files)
    raw = await request.read()
    return Body(json.loads(raw) if raw else None, [])


def _rate_limited(rule: RateLimitRule) -> web.Response:
    retry = rule.retry_after
    headers = {
        "Retry-After": str(math.ceil(retry)),
        "X-RateLimit-Limit": "5",
        "X-RateLimit-Remaining": "0",
        "X-RateLimit-Reset": f"{time.time() + retry:.3f}",
        "X-RateLimit-Reset-After": f"{retry:.3f}",
        "X-RateLimit-Bucket": rule.bucket,
        "X-RateLimit-Scope": "global" if rule.global_ else "user",
        "Via": "1.1 google",
    }
    if rule.global_:
        headers["X-RateLimit-Global"] = "true"
    body = {"message": "You are being rate limited.", "retry_after": retry, "global": rule.global_}
    return json_response(body, 429, headers)


class RestBase:
    """Shared lookups and message plumbing for the route classes."""

    def __init__(self, state: DiscordState, gateway: GatewayServer) -> None:
        self.state = state
        self.gateway = gateway

    # -- lookups ---------------------------------------------------------------------
    def channel(self, raw: str) -> EmuChannel:
        channel = self.state.channels.get(_int(raw))
        if channel is None:
            raise not_found(10003, "Channel")
        return channel

    def guild(self, raw: str) -> EmuGuild:
        guild = self.state.guilds.get(_int(raw))
        if guild is None:
            raise not_found(10004, "Guild")
        return guild

    def message(self, channel: EmuChannel, raw: str) -> EmuMessage:
        msg = self.state.messages.get(_int(raw))
        if msg is None or msg.deleted or msg.channel_id != channel.id:
            raise not_found(10008, "Message")
        return msg

    def require(self, channel: EmuChannel, perms: int) -> None:
        if channel.guild_id is None:
            return
        have = self.state.permissions_for(channel, self.state.bot_user.id)
        if not have & Perm.VIEW_CHANNEL:
            raise ApiError(403, 50001, "Missing Access")
        if have & perms != perms:
            raise missing_permissions()

    # -- messages --------------------------------------------------------------------
    def new_attachments(
        self, channel_id: int, body: JSON, files: list[UploadedFile]
    ) -> list[EmuAttachment]:
        meta = {str(a.get("id")): a for a in body.get("attachments") or [] if isinstance(a, dict)}
        out = []
        for upload in files:
            index = upload.field.removeprefix("files[").rstrip("]")
            info = meta.get(index, {})
            att = self.state.new_attachment(
                channel_id,
                str(info.get("filename") or upload.filename),
                upload.data,
                upload.content_type,
            )
            att.description = info.get("description")
            out.append(att)
        return out

    def apply_body(
        self, msg: EmuMessage, body: JSON, files: list[UploadedFile], *, editing: bool
    ) -> None:
        if editing:
            msg.history.append(msg.to_payload())
            msg.edited_timestamp = iso_now()
        if "content" in body:
            msg.content = str(body["content"] or "")
        if "embeds" in body:
            msg.embeds = list(body["embeds"] or [])
        if "components" in body:
            msg.components = list(body["components"] or [])
        if body.get("flags") is not None:
            kept = MessageFlag.SUPPRESS_EMBEDS | MessageFlag.IS_COMPONENTS_V2
            if not editing:
                kept |= MessageFlag.EPHEMERAL | (1 << 12)  # SUPPRESS_NOTIFICATIONS
            msg.flags = (msg.flags & ~kept) | (int(body["flags"]) & kept)
        new = self.new_attachments(msg.channel_id, body, files)
        if editing and "attachments" in body:
            keep = {_int(a.get("id")) for a in body["attachments"] or [] if isinstance(a, dict)}
            msg.attachments = [a for a in msg.attachments if a.id in keep]
        msg.attachments += new
        if not editing:
            msg.tts = bool(body.get("tts"))
            ref = body.get("message_reference")
            if isinstance(ref, dict) and ref.get("message_id"):
                self._set_reply(msg, ref)
        self.state.resolve_mentions(msg)

    def _set_reply(self, msg: EmuMessage, ref: JSON) -> None:
        target = self.state.messages.get(_int(ref["message_id"]))
        if target is None or target.deleted:
            if ref.get("fail_if_not_exists", True):
                err = {"code": "REPLIES_UNKNOWN_MESSAGE", "message": "Unknown message"}
                raise ApiError(
                    400, 50035, "Invalid Form Body", {"message_reference": {"_errors": [err]}}
                )
            return
        msg.message_reference = {
            "type": 0,
            "message_id": str(target.id),
            "channel_id": str(target.channel_id),
        }
        if target.guild_id is not None:
            msg.message_reference["guild_id"] = str(target.guild_id)
        msg.type = 19

    def bot_member_payload(self, guild_id: int | None) -> JSON | None:
        member = self.state.member(guild_id, self.state.bot_user.id)
        return member.to_payload(include_user=False) if member else None

    def dispatch_message(self, event: str, msg: EmuMessage) -> None:
        """MESSAGE_CREATE/UPDATE, honouring GUILD_MESSAGES and MESSAGE_CONTENT intents."""
        if msg.ephemeral:
            return
        bot_id = self.state.bot_user.id
        intent = Intent.GUILD_MESSAGES if msg.guild_id is not None else Intent.DIRECT_MESSAGES

        def build(session: GatewaySession) -> JSON:
            payload = msg.to_payload()
            privileged = msg.guild_id is not None and msg.author_id != bot_id
            mentioned = any(int(m["id"]) == bot_id for m in msg.mentions)
            if privileged and not mentioned and not session.has_intent(Intent.MESSAGE_CONTENT):
                payload.update(content="", embeds=[], attachments=[], components=[])
            return payload

        self.gateway.dispatch(event, build, intent=intent, guild_id=msg.guild_id)

    def dispatch_delete(self, msg: EmuMessage) -> None:
        msg.deleted = True
        if msg.ephemeral:
            return
        data: JSON = {"id": str(msg.id), "channel_id": str(msg.channel_id)}
        if msg.guild_id is not None:
            data["guild_id"] = str(msg.guild_id)
        intent = Intent.GUILD_MESSAGES if msg.guild_id is not None else Intent.DIRECT_MESSAGES
        self.gateway.dispatch("MESSAGE_DELETE", data, intent=intent, guild_id=msg.guild_id)


def _int(raw: Any) -> int:
    try:
        return int(raw)
    except (TypeError, ValueError):
        raise ApiError(
            400,
            50035,
            "Invalid Form Body",
            {
                "id": {
                    "_errors": [
                        {
                            "code": "NUMBER_TYPE_COERCE",
                            "message": f'Value "{raw}" is not snowflake.',
                        }
                    ]
                }
            },
        ) from None


class ApiRouter:
    """Registers routes on an aiohttp app and wraps every call with the cross-cutting concerns:
    request recording, injected 429s, bot-token auth, Discord error bodies, unknown routes."""

    def __init__(self, state: DiscordState) -> None:
        self.state = state

    def install(self, app: web.Application, specs: list[RouteSpec]) -> None:
        for spec in specs:
            app.router.add_route(spec.method, API_PREFIX + spec.template, self._wrap(spec))
        app.router.add_route("*", API_PREFIX + "/{tail:.*}", self._wrap(None))
        app.router.add_route(
            "GET", "/attachments/{channel_id}/{attachment_id}/{filename}", self.attachment
        )

    def _wrap(self, spec: RouteSpec | None) -> Callable[[web.Request], Awaitable[web.Response]]:
        async def handler(request: web.Request) -> web.Response:
            return await self._call(spec, request)

        return handler

    async def _call(self, spec: RouteSpec | None, request: web.Request) -> web.Response:
        try:
            body = await read_body(request)
        except ValueError:
            body = Body(None, [])
        record = RecordedRequest(
            method=request.method,
            path=request.path.removeprefix(API_PREFIX),
            route=spec.template if spec else None,
            route_name=spec.name if spec else None,
            query=dict(request.query),
            json=body.json,
            files=[f.filename for f in body.files],
            time=time.monotonic(),
        )
        self.state.requests.append(record)
        response = await self._respond(spec, request, body, record)
        record.status = response.status
        self.state.notify()
        return response

    async def _respond(
        self, spec: RouteSpec | None, request: web.Request, body: Body, record: RecordedRequest
    ) -> web.Response:
        if spec is None:
            self.state.unknown_routes.append(record)
            record.response = {"message": "404: Not Found", "code": 0}
            return json_response(record.response, 404)
        rule = self.state.rate_limit_for(request.method, record.path, spec.template, spec.name)
        if rule is not None:
            return _rate_limited(rule)
        try:
            if spec.auth and request.headers.get("Authorization") != f"Bot {self.state.bot_token}":
                raise ApiError(401, 0, "401: Unauthorized")
            result = await spec.handler(request, body)
        except ApiError as exc:
            record.response = exc.to_payload()
            return json_response(record.response, exc.status)
        except Exception as exc:  # an emulator bug: make it loud, but don't trigger 5xx retries
            _log.exception("discord emulator failed on %s %s", request.method, request.path)
            self.state.emulator_errors.append(
                f"{request.method} {record.path}: {exc!r}\n{traceback.format_exc()}"
            )
            record.response = {"code": 0, "message": f"emulator error: {exc!r}"}
            return json_response(record.response, 400)
        record.response = result
        return json_response(result, 204 if result is None else 200)

    async def attachment(self, request: web.Request) -> web.Response:
        att = self.state.attachments.get(_int(request.match_info["attachment_id"]))
        if att is None:
            return json_response({"message": "404: Not Found", "code": 0}, 404)
        return web.Response(
            body=att.data, content_type=att.content_type or "application/octet-stream"
        )
