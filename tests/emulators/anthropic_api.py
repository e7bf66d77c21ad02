"""An emulator of Anthropic's Messages API, for the real `anthropic` SDK on loopback.

Serve ``AnthropicEmulator().app`` with ``tests.support.servers.serve`` and point
``AsyncAnthropic(base_url=url)`` at it. It answers ``POST /v1/messages`` plain or
streamed (``message_start``, ``content_block_start``, ``content_block_delta`` text
deltas, ``content_block_stop``, ``message_delta``, ``message_stop``, with ``ping``s in
between), requires ``anthropic-version``, takes the key from ``x-api-key`` (the API's
documented header) or ``Authorization: Bearer`` (what recent SDKs send), and plays the
steps a test queued (see ``llm_script``). 529 is "overloaded", as upstream.
"""

from __future__ import annotations

import asyncio
import itertools
import json
from collections.abc import AsyncIterator

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response, StreamingResponse
from starlette.routing import Route

from .llm_script import (
    JSON,
    Answer,
    Fault,
    Hang,
    RecordedCall,
    Script,
    bearer,
    chunks,
    estimate_tokens,
    flatten,
    record,
    retry_headers,
)

ERROR_TYPES = {
    400: "invalid_request_error",
    401: "authentication_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    529: "overloaded_error",
}


def error(status: int, message: str, *, kind: str | None = None, **headers: str) -> Response:
    """Return an Anthropic error body ``{"type": "error", "error": {type, message}}``."""
    body = {
        "type": "error",
        "error": {"type": kind or ERROR_TYPES.get(status, "api_error"), "message": message},
    }
    return JSONResponse(body, status_code=status, headers=headers)


def api_key(headers: dict[str, str]) -> str | None:
    """Return the key from ``x-api-key`` or, failing that, a bearer token."""
    return headers.get("x-api-key") or bearer(headers)


def invalid(body: JSON | None, headers: dict[str, str]) -> str | None:
    """Return why a Messages request is invalid, or None."""
    if not headers.get("anthropic-version"):
        return "anthropic-version: header is required"
    if body is None:
        return "Request body is not valid JSON"
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "model: Field required"
    if not isinstance(body.get("max_tokens"), int) or body["max_tokens"] < 1:
        return "max_tokens: Field required (an integer >= 1)"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "messages: at least one message is required"
    for index, message in enumerate(messages):
        role = message.get("role") if isinstance(message, dict) else None
        if role not in ("user", "assistant"):
            # The system prompt is a top-level field, never a message.
            return f"messages.{index}.role: Input should be 'user' or 'assistant'"
    return None


class AnthropicEmulator:
    """A scriptable Messages server recording every request."""

    def __init__(self, api_key: str = "sk-ant-test-emulator") -> None:
        self.script = Script(api_key=api_key)
        self._ids = itertools.count(1)
        self.app = Starlette(routes=[Route("/v1/messages", self._messages, methods=["POST"])])

    @property
    def calls(self) -> list[RecordedCall]:
        """Return every request received, oldest first."""
        return self.script.calls

    def queue(self, *steps: Answer | Fault | Hang) -> None:
        """Queue replies; each request consumes the next one."""
        self.script.queue(*steps)

    def release(self) -> None:
        """Let hung requests finish."""
        self.script.release()

    async def _messages(self, request: Request) -> Response:
        call, body = await record(request, self.script)
        if api_key(call.headers) != self.script.api_key:
            return error(401, "invalid x-api-key")
        problem = invalid(body, call.headers)
        if problem:
            return error(400, problem)
        step = self.script.next_step()
        if isinstance(step, Fault):
            return error(step.status, step.message, kind=step.error_type, **retry_headers(step))
        if isinstance(step, Hang) and not step.partial:
            # A hung upstream: not even the status line comes back.
            await self.script.hold(request)
            return error(504, "released")
        if call.stream:
            return StreamingResponse(
                self._events(request, call, step),
                media_type="text/event-stream",
                headers={"cache-control": "no-cache"},
            )
        if isinstance(step, Hang):  # with partial text, which only a stream can send
            await self.script.hold(request)
            return error(504, "released")
        return JSONResponse(self._message(call, step))

    def _usage(self, call: RecordedCall, answer: Answer | Hang) -> tuple[int, int]:
        prompt = answer.prompt_tokens if isinstance(answer, Answer) else None
        if prompt is None:
            texts = [flatten(call.system), *(flatten(m.get("content")) for m in call.messages)]
            prompt = estimate_tokens("".join(texts))
        completion = answer.completion_tokens if isinstance(answer, Answer) else None
        text = answer.text if isinstance(answer, Answer) else answer.partial
        return prompt, completion if completion is not None else estimate_tokens(text)

    def _envelope(self, call: RecordedCall, content: list[JSON], stop: str | None) -> JSON:
        return {
            "id": f"msg_emu{next(self._ids)}",
            "type": "message",
            "role": "assistant",
            "model": call.model,
            "content": content,
            "stop_reason": stop,
            "stop_sequence": None,
        }

    def _message(self, call: RecordedCall, answer: Answer) -> JSON:
        prompt, completion = self._usage(call, answer)
        content = [{"type": "text", "text": answer.text}]
        message = self._envelope(call, content, answer.stop_reason or "end_turn")
        message["usage"] = {"input_tokens": prompt, "output_tokens": completion}
        return message

    async def _events(
        self, request: Request, call: RecordedCall, step: Answer | Hang
    ) -> AsyncIterator[str]:
        prompt, completion = self._usage(call, step)
        start = self._envelope(call, [], None)
        start["usage"] = {"input_tokens": prompt, "output_tokens": 1}
        yield _event("message_start", {"message": start})
        block = {"index": 0, "content_block": {"type": "text", "text": ""}}
        yield _event("content_block_start", block)
        yield _event("ping", {})
        text = step.text if isinstance(step, Answer) else step.partial
        size = step.chunk_size if isinstance(step, Answer) else 8
        for index, piece in enumerate(p for p in chunks(text, size) if p):
            delta = {"index": 0, "delta": {"type": "text_delta", "text": piece}}
            yield _event("content_block_delta", delta)
            if index % 4 == 3:
                yield _event("ping", {})
            await asyncio.sleep(0)
        if isinstance(step, Hang):
            await self.script.hold(request)
            return
        yield _event("content_block_stop", {"index": 0})
        stop = {"stop_reason": step.stop_reason or "end_turn", "stop_sequence": None}
        yield _event("message_delta", {"delta": stop, "usage": {"output_tokens": completion}})
        yield _event("message_stop", {})


def _event(kind: str, payload: JSON) -> str:
    return f"event: {kind}\ndata: {json.dumps({'type': kind, **payload})}\n\n"
