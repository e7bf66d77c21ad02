"""What the LLM API emulators share: scripted replies, faults, hangs and the request record.

A test queues ``Answer``, ``Fault`` or ``Hang`` steps on an emulator; each request
consumes one step (an empty queue answers with the emulator's default text), and
every request, good or bad, is recorded as a ``RecordedCall``.
"""

from __future__ import annotations

import asyncio
import json
import math
import re
import time
from collections import deque
from dataclasses import dataclass, field
from typing import Any

from starlette.requests import Request

JSON = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Answer:
    """A successful reply; token counts default to a chars/4 estimate."""

    text: str
    prompt_tokens: int | None = None
    completion_tokens: int | None = None
    chunk_size: int = 8
    stop_reason: str | None = None


@dataclass(frozen=True, slots=True)
class Fault:
    """An HTTP error reply, optionally with ``retry-after`` (seconds)."""

    status: int
    message: str = "emulated failure"
    retry_after: float | None = None
    error_type: str | None = None


@dataclass(frozen=True, slots=True)
class Hang:
    """Accept the request and never answer; a stream with ``partial`` sends that, then stalls."""

    partial: str = ""


Step = Answer | Fault | Hang


@dataclass(frozen=True, slots=True)
class RecordedCall:
    """One request as the emulator received it."""

    method: str
    path: str
    query: str
    headers: dict[str, str]
    body: JSON
    at: float = field(default_factory=time.monotonic)

    @property
    def model(self) -> str | None:
        return self.body.get("model")

    @property
    def messages(self) -> list[JSON]:
        return list(self.body.get("messages") or [])

    @property
    def system(self) -> Any:
        return self.body.get("system")

    @property
    def max_tokens(self) -> int | None:
        value = self.body.get("max_tokens", self.body.get("max_completion_tokens"))
        return value if isinstance(value, int) else None

    @property
    def stream(self) -> bool:
        return bool(self.body.get("stream"))

    def text(self) -> str:
        """Return every text the request carried (system and messages), joined."""
        parts = [flatten(self.system)]
        parts += [flatten(message.get("content")) for message in self.messages]
        return "\n".join(part for part in parts if part)


def flatten(content: Any) -> str:
    """Return the text of a string or a list of content blocks."""
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(str(block.get("text", "")) for block in content if isinstance(block, dict))
    return ""


def estimate_tokens(text: str) -> int:
    """Return a deterministic token count (one per four characters, at least one)."""
    return max(1, math.ceil(len(text) / 4))


def chunks(text: str, size: int) -> list[str]:
    """Split text into stream deltas of at most `size` characters."""
    return [text[i : i + size] for i in range(0, len(text), max(1, size))] or [""]


@dataclass
class Script:
    """The queue of steps and the record of calls of one emulator."""

    api_key: str
    default_text: str = "The emulated model has nothing to add."
    steps: deque[Step] = field(default_factory=deque)
    calls: list[RecordedCall] = field(default_factory=list)
    released: asyncio.Event = field(default_factory=asyncio.Event)

    def queue(self, *steps: Step) -> None:
        """Queue steps; each request consumes the next one."""
        self.steps.extend(steps)

    def next_step(self) -> Step:
        """Return the next queued step, or the default answer."""
        return self.steps.popleft() if self.steps else Answer(self.default_text)

    def release(self) -> None:
        """Let every hung request finish (call before shutting the server down)."""
        self.released.set()

    def key_in_url(self, call: RecordedCall) -> bool:
        """Tell whether the API key leaked into the URL."""
        return self.api_key in call.path or self.api_key in call.query

    async def hold(self, request: Request) -> None:
        """Wait until released or the client hangs up, as a hung upstream would."""
        while not self.released.is_set():
            if await request.is_disconnected():
                return
            try:
                await asyncio.wait_for(self.released.wait(), 0.05)
            except TimeoutError:
                continue


async def record(request: Request, script: Script) -> tuple[RecordedCall, JSON | None]:
    """Record the request; return it and its JSON body (None if not a JSON object)."""
    raw = await request.body()
    try:
        body = json.loads(raw) if raw else None
    except ValueError:
        body = None
    call = RecordedCall(
        method=request.method,
        path=request.url.path,
        query=request.url.query,
        headers={k.lower(): v for k, v in request.headers.items()},
        body=body if isinstance(body, dict) else {},
    )
    script.calls.append(call)
    return call, body if isinstance(body, dict) else None


def bearer(headers: dict[str, str]) -> str | None:
    """Return the token of an ``Authorization: Bearer`` header."""
    match = re.fullmatch(r"Bearer (\S+)", headers.get("authorization", ""))
    return match.group(1) if match else None


def retry_headers(fault: Fault) -> dict[str, str]:
    """Return the ``retry-after`` header of a fault, if it has one."""
    if fault.retry_after is None:
        return {}
    value = fault.retry_after
    return {"retry-after": str(int(value)) if value == int(value) else f"{value:g}"}
