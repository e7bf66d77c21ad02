"""Many SSE listeners in one process, on raw asyncio streams.

httpx or aiohttp would cost more per connection than the server side under
test; a raw reader keeps the client process out of the way. Each message the
benchmark posts carries `bench:<seq>:<monotonic send time>;`, and each
listener records the delay at which it saw each seq.
"""

from __future__ import annotations

import asyncio
import re
import time
from collections import defaultdict

MARK = re.compile(rb"bench:(\d+):(\d+\.\d+);")
TAIL = 200  # bytes kept between reads, so a marker split across reads is found


class Listeners:
    """N open SSE streams and the delivery delays they saw, by seq."""

    def __init__(self) -> None:
        self.delays: dict[int, list[float]] = defaultdict(list)
        self.last_arrival: dict[int, float] = {}
        self.connected = 0
        self.failed = 0
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: list[asyncio.StreamWriter] = []

    async def open(self, host: str, port: int, ticket: str) -> None:
        """Open one stream with a ticket and start reading it."""
        reader, writer = await asyncio.open_connection(host, port)
        request = (
            f"GET /vtt/stream?ticket={ticket} HTTP/1.1\r\n"
            f"Host: {host}\r\nAccept: text/event-stream\r\n\r\n"
        )
        writer.write(request.encode())
        head = await reader.readuntil(b"\r\n\r\n")
        if b" 200 " not in head.split(b"\r\n", 1)[0]:
            self.failed += 1
            writer.close()
            return
        self.connected += 1
        self._writers.append(writer)
        task = asyncio.create_task(self._read(reader))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)

    async def _read(self, reader: asyncio.StreamReader) -> None:
        buffer = b""
        while chunk := await reader.read(65536):
            now = time.monotonic()
            buffer += chunk
            end = 0
            for match in MARK.finditer(buffer):
                seq = int(match.group(1))
                self.delays[seq].append(now - float(match.group(2)))
                self.last_arrival[seq] = now
                end = match.end()
            buffer = buffer[max(end, len(buffer) - TAIL) :]

    def received(self, seq: int) -> int:
        """Return how many listeners have seen a seq."""
        return len(self.delays.get(seq, ()))

    async def close(self) -> None:
        """Close every stream."""
        for writer in self._writers:
            writer.close()
        for task in tuple(self._tasks):
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
