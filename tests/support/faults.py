"""Put Core's real app behind a switch that fails the way networks and proxies do.

`FaultyCore` is an ASGI app: while healthy it hands every request to the app
it wraps (which can be swapped, as a redeployed Core would be); on demand it
answers a status of its own (a proxy's 503), hangs (a timeout), or answers 500
to any delivery naming one event (a Core bug that one event triggers).
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send


class FaultyCore:
    """Core, failing on command."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self.status: int | None = None  # answer this instead of Core
        self.hang = False  # never answer
        self.fail_on: set[str] = set()  # answer 500 to a delivery naming any of these ids
        self.requests = 0

    def heal(self) -> None:
        """Let every request through to Core again."""
        self.status, self.hang, self.fail_on = None, False, set()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.requests += 1
        body = await _read(receive)
        if self.hang:
            await asyncio.Event().wait()  # until the client gives up and disconnects
        if self.status is not None:
            await _answer(send, self.status, "injected")
        elif any(event_id.encode() in body for event_id in self.fail_on):
            await _answer(send, 500, "internal_error")
        else:
            await self.app(scope, _replay(body, receive), send)


async def _read(receive: Receive) -> bytes:
    chunks = []
    while True:
        message = await receive()
        chunks.append(message.get("body", b""))
        if not message.get("more_body"):
            return b"".join(chunks)


def _replay(body: bytes, receive: Receive) -> Callable[[], Awaitable[Message]]:
    sent = False

    async def again() -> Message:
        nonlocal sent
        if sent:
            return await receive()
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    return again


async def _answer(send: Send, status: int, code: str) -> None:
    payload: dict[str, Any] = {"error": {"code": code, "message": f"{code} ({status})"}}
    body = json.dumps(payload).encode()
    headers = [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


async def until(condition: Callable[[], Awaitable[bool]], timeout: float = 20.0) -> None:
    """Wait until `condition()` holds; fail if it never does within a generous `timeout`."""
    async with asyncio.timeout(timeout):
        while not await condition():  # noqa: ASYNC110 - the state lives in SQLite, not in an Event
            await asyncio.sleep(0.02)
