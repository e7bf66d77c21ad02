"""Interaction callbacks, interaction followups and channel webhooks of the Discord emulator.

``/webhooks/{webhook_id}/{webhook_token}`` serves both interaction followups (webhook_id is the
application id, token the interaction token) and real channel webhooks, as on Discord.
"""

from __future__ import annotations

import asyncio
import secrets

from aiohttp import web

from .discord_messages import EmuMessage, EmuWebhook, InteractionCallback
from .discord_models import INTERACTION_DEADLINE_S, JSON, MessageFlag, Perm
from .discord_rest import Body, RestBase, Result, RouteSpec, UploadedFile, _int
from .discord_state import InteractionRecord
from .discord_validation import (
    ApiError,
    FormErrors,
    check_autocomplete,
    check_deferred,
    check_message,
    check_webhook_name,
    not_found,
)

# interaction type -> callback types Discord accepts for it
ALLOWED_CALLBACKS: dict[int, set[int]] = {
    1: {1},
    2: {4, 5, 9, 12},
    3: {4, 5, 6, 7, 9, 12},
    4: {8},
    5: {4, 5, 6, 7},
}


def _truthy(raw: str | None) -> bool:
    return (raw or "").lower() in ("1", "true")


class WebhookRoutes(RestBase):
    def specs(self) -> list[RouteSpec]:
        R = RouteSpec
        hook = "/webhooks/{webhook_id}/{webhook_token}"
        return [
            R(
                "POST",
                "/interactions/{interaction_id}/{interaction_token}/callback",
                "create_interaction_response",
                self.interaction_callback,
                auth=False,
            ),
            R("POST", hook, "execute_webhook", self.execute_webhook, auth=False),
            R("GET", hook, "fetch_webhook_with_token", self.get_webhook_with_token, auth=False),
            R(
                "DELETE",
                hook,
                "delete_webhook_with_token",
                self.delete_webhook_with_token,
                auth=False,
            ),
            R(
                "GET",
                hook + "/messages/@original",
                "get_original_interaction_response",
                self.get_webhook_message,
                auth=False,
            ),
            R(
                "PATCH",
                hook + "/messages/@original",
                "edit_original_interaction_response",
                self.edit_webhook_message,
                auth=False,
            ),
            R(
                "DELETE",
                hook + "/messages/@original",
                "delete_original_interaction_response",
                self.delete_webhook_message,
                auth=False,
            ),
            R(
                "GET",
                hook + "/messages/{message_id}",
                "get_webhook_message",
                self.get_webhook_message,
                auth=False,
            ),
            R(
                "PATCH",
                hook + "/messages/{message_id}",
                "edit_webhook_message",
                self.edit_webhook_message,
                auth=False,
            ),
            R(
                "DELETE",
                hook + "/messages/{message_id}",
                "delete_webhook_message",
                self.delete_webhook_message,
                auth=False,
            ),
            R("GET", "/webhooks/{webhook_id}", "fetch_webhook", self.get_webhook),
            R("DELETE", "/webhooks/{webhook_id}", "delete_webhook", self.delete_webhook),
            R("POST", "/channels/{channel_id}/webhooks", "create_webhook", self.create_webhook),
            R("GET", "/channels/{channel_id}/webhooks", "channel_webhooks", self.channel_webhooks),
            R("GET", "/guilds/{guild_id}/webhooks", "guild_webhooks", self.guild_webhooks),
        ]

    # -- interaction callback -------------------------------------------------------------
    async def interaction_callback(self, request: web.Request, body: Body) -> Result:
        rec = self.state.interactions.get(_int(request.match_info["interaction_id"]))
        if rec is None or rec.token != request.match_info["interaction_token"]:
            raise not_found(10062, "interaction")
        payload = body.obj()
        if rec.callback is not None:
            rec.rejected_callbacks.append(payload)
            raise ApiError(400, 40060, "Interaction has already been acknowledged.")
        ctype = int(payload.get("type") or 0)
        if ctype not in ALLOWED_CALLBACKS.get(rec.type, set()):
            errors = FormErrors()
            errors.add(
                ("type",),
                "INTERACTION_CALLBACK_TYPE_INVALID",
                "Invalid callback type for this interaction",
            )
            errors.raise_if_any()
        data: JSON = payload.get("data") or {}
        if ctype == 4:
            check_message(data, prefix=("data",), has_files=bool(body.files))
        elif ctype == 7:
            check_message(data, prefix=("data",), creating=False)
        elif ctype == 5:
            check_deferred(data)
        elif ctype == 8:
            check_autocomplete(data)
        elif ctype == 9 and not (
            data.get("custom_id") and data.get("title") and data.get("components")
        ):
            raise ApiError(
                400,
                50035,
                "Invalid Form Body",
                {
                    "data": {
                        "_errors": [
                            {
                                "code": "MODAL_INVALID",
                                "message": "custom_id, title and components are required",
                            }
                        ]
                    }
                },
            )
        elapsed = asyncio.get_running_loop().time() - rec.created_at
        callback = InteractionCallback(ctype, data, elapsed, elapsed > INTERACTION_DEADLINE_S)
        rec.callback = callback
        message = self._apply_callback(rec, ctype, data, body.files)
        if message is not None:
            callback.attachments = list(message.attachments)
        if not _truthy(request.query.get("with_response")):
            return None
        info: JSON = {
            "id": str(rec.id),
            "type": rec.type,
            "response_message_loading": ctype == 5,
            "response_message_ephemeral": bool(message and message.ephemeral),
        }
        result: JSON = {"interaction": info, "resource": {"type": ctype}}
        if message is not None:
            info["response_message_id"] = str(message.id)
            if ctype in (4, 5, 7):
                result["resource"]["message"] = message.to_payload()
        return result

    def _apply_callback(
        self, rec: InteractionRecord, ctype: int, data: JSON, files: list[UploadedFile]
    ) -> EmuMessage | None:
        if ctype in (4, 5):
            msg = self._interaction_message(rec, "interaction")
            if ctype == 4:
                self.apply_body(msg, data, files, editing=False)
            else:
                msg.flags = MessageFlag.LOADING | (
                    int(data.get("flags") or 0) & MessageFlag.EPHEMERAL
                )
            rec.original_message_id = msg.id
            self.dispatch_message("MESSAGE_CREATE", msg)
            return msg
        if ctype in (6, 7) and rec.source_message_id is not None:
            msg = self.state.messages[rec.source_message_id]
            rec.original_message_id = msg.id
            if ctype == 7:
                self.apply_body(msg, data, files, editing=True)
                self.dispatch_message("MESSAGE_UPDATE", msg)
            return msg
        return None

    def _interaction_message(self, rec: InteractionRecord, source: str) -> EmuMessage:
        channel = self.state.channels[rec.channel_id]
        msg = self.state.new_message(
            channel,
            self.state.bot_author(),
            "interaction" if source == "interaction" else "followup",
        )
        msg.webhook_id = msg.application_id = self.state.application_id
        msg.interaction_id = rec.id
        msg.type = 20 if rec.type == 2 and source == "interaction" else 0
        msg.member = self.bot_member_payload(channel.guild_id)
        return msg

    # -- followups and channel webhooks --------------------------------------------------
    def _interaction_for(self, request: web.Request) -> InteractionRecord | None:
        if _int(request.match_info["webhook_id"]) != self.state.application_id:
            return None
        return self.state.interaction_by_token(request.match_info["webhook_token"])

    def _webhook(self, request: web.Request, *, with_token: bool = True) -> EmuWebhook:
        hook = self.state.webhooks.get(_int(request.match_info["webhook_id"]))
        if hook is None or (with_token and hook.token != request.match_info["webhook_token"]):
            raise not_found(10015, "Webhook")
        return hook

    async def execute_webhook(self, request: web.Request, body: Body) -> Result:
        data = body.obj()
        rec = self._interaction_for(request)
        check_message(data, has_files=bool(body.files))
        if rec is not None:
            msg = self._followup(rec, data, body.files)
        else:
            hook = self._webhook(request)
            if data.get("username") is not None:
                check_webhook_name(data["username"], "username")
            author = {
                "id": str(hook.id),
                "username": data.get("username") or hook.name,
                "avatar": None,
                "discriminator": "0000",
                "global_name": None,
                "bot": True,
            }
            msg = self.state.new_message(self.state.channels[hook.channel_id], author, "webhook")
            msg.webhook_id = hook.id
            msg.avatar_url = data.get("avatar_url")
            if hook.application_id is not None:
                msg.application_id = hook.application_id
            self.apply_body(msg, data, body.files, editing=False)
            msg.flags &= ~MessageFlag.EPHEMERAL
            self.dispatch_message("MESSAGE_CREATE", msg)
        return msg.to_payload() if _truthy(request.query.get("wait")) else None

    def _followup(
        self, rec: InteractionRecord, data: JSON, files: list[UploadedFile]
    ) -> EmuMessage:
        if rec.callback is None:
            raise not_found(10015, "Webhook")
        original = self.state.messages.get(rec.original_message_id or 0)
        if original is not None and original.loading and not original.deleted:
            # Discord: the first followup after a deferred response replaces the "thinking" message
            ephemeral = original.flags & MessageFlag.EPHEMERAL
            self.apply_body(original, data, files, editing=False)
            original.flags = (
                original.flags & ~(MessageFlag.LOADING | MessageFlag.EPHEMERAL)
            ) | ephemeral
            rec.followup_ids.append(original.id)
            self.dispatch_message("MESSAGE_UPDATE", original)
            return original
        msg = self._interaction_message(rec, "followup")
        self.apply_body(msg, data, files, editing=False)
        rec.followup_ids.append(msg.id)
        self.dispatch_message("MESSAGE_CREATE", msg)
        return msg

    def _webhook_message(self, request: web.Request) -> EmuMessage:
        raw_id = request.match_info.get("message_id", "@original")
        rec = self._interaction_for(request)
        if rec is not None:
            mid = rec.original_message_id if raw_id == "@original" else _int(raw_id)
            if mid is None or mid not in (rec.original_message_id, *rec.followup_ids):
                raise not_found(10008, "Message")
        else:
            hook = self._webhook(request)
            if raw_id == "@original":
                raise not_found(10008, "Message")
            mid = _int(raw_id)
            found = self.state.messages.get(mid)
            if found is None or found.webhook_id != hook.id:
                raise not_found(10008, "Message")
        msg = self.state.messages.get(mid)
        if msg is None or msg.deleted:
            raise not_found(10008, "Message")
        return msg

    async def get_webhook_message(self, request: web.Request, body: Body) -> Result:
        return self._webhook_message(request).to_payload()

    async def edit_webhook_message(self, request: web.Request, body: Body) -> Result:
        msg = self._webhook_message(request)
        check_message(body.obj(), creating=False)
        ephemeral = msg.flags & MessageFlag.EPHEMERAL
        self.apply_body(msg, body.obj(), body.files, editing=not msg.loading)
        msg.flags = (msg.flags & ~(MessageFlag.LOADING | MessageFlag.EPHEMERAL)) | ephemeral
        self.dispatch_message("MESSAGE_UPDATE", msg)
        return msg.to_payload()

    async def delete_webhook_message(self, request: web.Request, body: Body) -> Result:
        self.dispatch_delete(self._webhook_message(request))
        return None

    # -- channel webhook management -------------------------------------------------------
    async def create_webhook(self, request: web.Request, body: Body) -> Result:
        channel = self.channel(request.match_info["channel_id"])
        self.require(channel, Perm.MANAGE_WEBHOOKS)
        data = body.obj()
        check_webhook_name(data.get("name"), "name")
        hook = EmuWebhook(
            id=self.state.next_id(),
            token=secrets.token_urlsafe(48),
            channel_id=channel.id,
            guild_id=channel.guild_id,
            name=str(data["name"]),
            creator_id=self.state.bot_user.id,
            application_id=self.state.application_id,
        )
        self.state.webhooks[hook.id] = hook
        return hook.to_payload(self.state.bot_user)

    def _hook_payloads(self, hooks: list[EmuWebhook]) -> list[JSON]:
        return [h.to_payload(self.state.users.get(h.creator_id)) for h in hooks]

    async def channel_webhooks(self, request: web.Request, body: Body) -> Result:
        channel = self.channel(request.match_info["channel_id"])
        self.require(channel, Perm.MANAGE_WEBHOOKS)
        return self._hook_payloads(
            [h for h in self.state.webhooks.values() if h.channel_id == channel.id]
        )

    async def guild_webhooks(self, request: web.Request, body: Body) -> Result:
        guild = self.guild(request.match_info["guild_id"])
        return self._hook_payloads(
            [h for h in self.state.webhooks.values() if h.guild_id == guild.id]
        )

    async def get_webhook(self, request: web.Request, body: Body) -> Result:
        hook = self._webhook(request, with_token=False)
        return hook.to_payload(self.state.users.get(hook.creator_id))

    async def get_webhook_with_token(self, request: web.Request, body: Body) -> Result:
        hook = self._webhook(request)
        return hook.to_payload(None)

    async def delete_webhook(self, request: web.Request, body: Body) -> Result:
        del self.state.webhooks[self._webhook(request, with_token=False).id]
        return None

    async def delete_webhook_with_token(self, request: web.Request, body: Body) -> Result:
        del self.state.webhooks[self._webhook(request).id]
        return None
