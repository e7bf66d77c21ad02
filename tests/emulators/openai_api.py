"""An emulator of OpenAI's Chat Completions API, for the real `openai` SDK on loopback.

Serve ``OpenAIEmulator().app`` with ``tests.support.servers.serve`` and point
``AsyncOpenAI(base_url=f"{url}/v1")`` at it. It answers ``POST /v1/chat/completions``
plain or streamed (``data: {chunk}`` lines, then ``data: [DONE]``; usage only with
``stream_options.include_usage``, on a last chunk whose ``choices`` is empty), checks the
``Authorization: Bearer`` key, and plays the steps a test queued (see ``llm_script``).
"""

from __future__ import annotations

import asyncio
import itertools
import json
import time
from collections.abc import AsyncIterator
from typing import Any

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
    401: "invalid_request_error",
    404: "invalid_request_error",
    429: "rate_limit_exceeded",
    500: "server_error",
    503: "server_error",
}
ROLES = {"system", "developer", "user", "assistant", "tool"}


def error(status: int, message: str, *, kind: str | None = None, **headers: str) -> Response:
    """Return an OpenAI error body ``{"error": {message, type, param, code}}``."""
    body = {
        "error": {
            "message": message,
            "type": kind or ERROR_TYPES.get(status, "server_error"),
            "param": None,
            "code": None,
        }
    }
    return JSONResponse(body, status_code=status, headers=headers)


def invalid(body: JSON | None) -> str | None:
    """Return why a chat completion request is invalid, or None."""
    if body is None:
        return "We could not parse the JSON body of your request."
    if not isinstance(body.get("model"), str) or not body["model"]:
        return "you must provide a model parameter"
    messages = body.get("messages")
    if not isinstance(messages, list) or not messages:
        return "'messages' must be a non-empty array"
    for index, message in enumerate(messages):
        if not isinstance(message, dict) or message.get("role") not in ROLES:
            return f"Invalid value for 'messages[{index}].role'"
    for key in ("max_tokens", "max_completion_tokens"):
        if key in body and (not isinstance(body[key], int) or body[key] < 1):
            return f"Invalid '{key}': expected an integer >= 1"
    return None


class OpenAIEmulator:
    """A scriptable Chat Completions server recording every request."""

    def __init__(self, api_key: str = "sk-test-emulator") -> None:
        self.script = Script(api_key=api_key)
        self._ids = itertools.count(1)
        self.app = Starlette(
            routes=[Route("/v1/chat/completions", self._completions, methods=["POST"])]
        )

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

    async def _completions(self, request: Request) -> Response:
        call, body = await record(request, self.script)
        if bearer(call.headers) != self.script.api_key:
            return error(401, "Incorrect API key provided.", kind="invalid_request_error")
        problem = invalid(body)
        if problem or body is None:
            return error(400, problem or "invalid body")
        step = self.script.next_step()
        if isinstance(step, Fault):
            return error(step.status, step.message, kind=step.error_type, **retry_headers(step))
        if isinstance(step, Hang) and not step.partial:
            # A hung upstream: not even the status line comes back.
            await self.script.hold(request)
            return error(504, "released")
        if call.stream:
            return self._stream(request, call, step)
        if isinstance(step, Hang):  # with partial text, which only a stream can send
            await self.script.hold(request)
            return error(504, "released")
        return JSONResponse(self._completion(call, step))

    def _base(self, call: RecordedCall, kind: str) -> JSON:
        return {
            "id": f"chatcmpl-emu{next(self._ids)}",
            "object": kind,
            "created": int(time.time()),
            "model": call.model,
            "system_fingerprint": "fp_emulator",
        }

    def _usage(self, call: RecordedCall, answer: Answer) -> JSON:
        prompt = answer.prompt_tokens
        if prompt is None:
            prompt = estimate_tokens("".join(flatten(m.get("content")) for m in call.messages))
        completion = answer.completion_tokens
        if completion is None:
            completion = estimate_tokens(answer.text)
        return {
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
        }

    def _completion(self, call: RecordedCall, answer: Answer) -> JSON:
        choice = {
            "index": 0,
            "message": {"role": "assistant", "content": answer.text, "refusal": None},
            "logprobs": None,
            "finish_reason": answer.stop_reason or "stop",
        }
        return {
            **self._base(call, "chat.completion"),
            "choices": [choice],
            "usage": self._usage(call, answer),
        }

    def _stream(self, request: Request, call: RecordedCall, step: Answer | Hang) -> Response:
        return StreamingResponse(
            self._events(request, call, step),
            media_type="text/event-stream",
            headers={"cache-control": "no-cache"},
        )

    async def _events(
        self, request: Request, call: RecordedCall, step: Answer | Hang
    ) -> AsyncIterator[str]:
        options = call.body.get("stream_options") or {}
        with_usage = bool(options.get("include_usage"))
        base = self._base(call, "chat.completion.chunk")
        text = step.text if isinstance(step, Answer) else step.partial
        size = step.chunk_size if isinstance(step, Answer) else 8
        deltas: list[JSON] = [{"role": "assistant", "content": "", "refusal": None}]
        deltas += [{"content": piece} for piece in chunks(text, size) if piece]
        for delta in deltas:
            yield _chunk(base, [_choice(delta, None)], with_usage)
            await asyncio.sleep(0)
        if isinstance(step, Hang):
            await self.script.hold(request)
            return
        yield _chunk(base, [_choice({}, step.stop_reason or "stop")], with_usage)
        if with_usage:
            yield _data({**base, "choices": [], "usage": self._usage(call, step)})
        yield "data: [DONE]\n\n"


def _choice(delta: JSON, finish_reason: str | None) -> JSON:
    return {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish_reason}


def _chunk(base: JSON, choices: list[JSON], with_usage: bool) -> str:
    payload: dict[str, Any] = {**base, "choices": choices}
    if with_usage:
        payload["usage"] = None
    return _data(payload)


def _data(payload: JSON) -> str:
    return f"data: {json.dumps(payload)}\n\n"
