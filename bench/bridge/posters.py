"""Posting chat messages at a steady rate over raw keep-alive HTTP/1.1 connections.

httpx costs the client process about a millisecond of CPU per request, and at
hundreds of posts per second that client shares the two cores with the bridge
under test; a raw request on a kept-alive socket costs a small fraction of
that. Every post is accounted for: a post that fails is counted with its
reason (and the run fails on it), so an event the bridge never accepted is
never mistaken for a lost delivery. A kept-alive socket the server closed
while idle is the one failure retried, once, on a fresh socket, as browsers
do: the request never reached the application.
"""

from __future__ import annotations

import asyncio
import json
import time
from collections import Counter


class Posters:
    """A pool of kept-alive connections to one bridge, posting chat as given tokens."""

    def __init__(self, host: str, port: int, size: int = 128) -> None:
        self._host, self._port = host, port
        self._idle: asyncio.LifoQueue[tuple[asyncio.StreamReader, asyncio.StreamWriter]] = (
            asyncio.LifoQueue()
        )
        self._gate = asyncio.Semaphore(size)
        self.sent = 0
        self.waits: list[float] = []  # from building the post to a free connection
        self.round_trips: list[float] = []  # from sending the post to its answer
        self.retried = 0
        self.failed: Counter[str] = Counter()

    async def post(self, token: str, seq: int, game: str) -> bool:
        """Post one marked chat message; return whether the bridge accepted it."""
        text = f"bench:{seq}:{time.monotonic():.6f};"
        body = json.dumps({"game_id": game, "text": text}).encode()
        head = (
            f"POST /vtt/chat HTTP/1.1\r\nHost: {self._host}\r\n"
            f"Authorization: Bearer {token}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {len(body)}\r\n\r\n"
        ).encode()
        built = time.monotonic()
        async with self._gate:
            sending = time.monotonic()
            self.waits.append(sending - built)
            try:
                status = await self._exchange(head + body)
                self.round_trips.append(time.monotonic() - sending)
            except (OSError, asyncio.IncompleteReadError, ValueError) as exc:
                self.failed[type(exc).__name__] += 1
                return False
        if 200 <= status < 300:
            self.sent += 1
            return True
        self.failed[str(status)] += 1
        return False

    async def _exchange(self, request: bytes) -> int:
        reused = not self._idle.empty()
        reader, writer = self._idle.get_nowait() if reused else await self._open()
        try:
            status = await _roundtrip(reader, writer, request)
        except (ConnectionError, asyncio.IncompleteReadError):
            writer.close()
            if not reused:
                raise
            self.retried += 1  # closed while idle: the request never reached the app
            reader, writer = await self._open()
            status = await _roundtrip(reader, writer, request)
        self._idle.put_nowait((reader, writer))
        return status

    async def _open(self) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
        return await asyncio.open_connection(self._host, self._port)

    async def aclose(self) -> None:
        """Close every idle connection."""
        while not self._idle.empty():
            _, writer = self._idle.get_nowait()
            writer.close()


async def _roundtrip(
    reader: asyncio.StreamReader, writer: asyncio.StreamWriter, request: bytes
) -> int:
    """Send one request; read its response (Content-Length bodies only); return the status."""
    writer.write(request)
    head = await reader.readuntil(b"\r\n\r\n")
    lines = head.split(b"\r\n")
    status = int(lines[0].split(b" ", 2)[1])
    length = 0
    for line in lines[1:]:
        name, _, value = line.partition(b":")
        if name.strip().lower() == b"content-length":
            length = int(value)
    if length:
        await reader.readexactly(length)
    return status
