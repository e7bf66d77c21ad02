"""Many SSE listeners in one process, on raw asyncio streams.

httpx or aiohttp would cost more per connection than the server side under
test; a raw reader keeps the client process out of the way. Each message the
benchmark posts carries `bench:<seq>:<monotonic send time>;`; each listener
parses whole SSE frames, records the delay at which it saw each seq, counts
a seq seen twice as a duplicate, and remembers the last event id (to resume
with `Last-Event-ID`).
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field

MARK = re.compile(rb"bench:(\d+):(\d+\.\d+);")
ID = re.compile(rb"^id: (\S+)", re.MULTILINE)


@dataclass(eq=False)
class Listener:
    """One stream's view: what it saw, and where to resume."""

    seen: set[int] = field(default_factory=set)
    last_id: str | None = None
    writer: asyncio.StreamWriter | None = None
    task: asyncio.Task[None] | None = None
    dropped: bool = False  # closed by the benchmark (a scheduled reconnect)
    ended: int = 0  # times the server ended this client's stream


class Listeners:
    """N open SSE streams and the delivery delays they saw, by seq."""

    def __init__(self, on_end: Callable[[Listener], None] | None = None) -> None:
        # Called when the server ends a stream the benchmark did not drop: a
        # browser's EventSource reconnects with Last-Event-ID, and so should we.
        self.on_end = on_end
        self.ended = 0
        self.delays: dict[int, list[float]] = defaultdict(list)
        self.last_arrival: dict[int, float] = {}
        self.connected = 0
        self.failed = 0
        self.duplicates = 0
        self.reconnects = 0
        self.resets = 0
        self.failures: Counter[str] = Counter()

    async def open(
        self,
        host: str,
        port: int,
        ticket: str,
        listener: Listener | None = None,
    ) -> Listener:
        """Open one stream with a ticket (resuming `listener` if given) and read it."""
        fresh = listener is None
        listener = listener or Listener()
        listener.dropped = False
        reader, writer = await asyncio.open_connection(host, port)
        resume = f"Last-Event-ID: {listener.last_id}\r\n" if listener.last_id else ""
        request = (
            f"GET /vtt/stream?ticket={ticket} HTTP/1.1\r\n"
            f"Host: {host}\r\nAccept: text/event-stream\r\n{resume}\r\n"
        )
        writer.write(request.encode())
        head = await reader.readuntil(b"\r\n\r\n")
        status = head.split(b"\r\n", 1)[0]
        if b" 200 " not in status:
            self.failed += 1
            self.failures[status.decode(errors="replace")] += 1
            writer.close()
            return listener
        if fresh:
            self.connected += 1
        else:
            self.reconnects += 1
        listener.writer = writer
        listener.task = asyncio.create_task(self._read(reader, listener))
        return listener

    async def _read(self, reader: asyncio.StreamReader, listener: Listener) -> None:
        with contextlib.suppress(ConnectionError):  # reset by the server: ended like a close
            await self._frames(reader, listener)
        if not listener.dropped:
            self.ended += 1
            listener.ended += 1
            if self.on_end is not None:
                self.on_end(listener)

    async def _frames(self, reader: asyncio.StreamReader, listener: Listener) -> None:
        buffer = b""
        while chunk := await reader.read(65536):
            now = time.monotonic()
            *frames, buffer = (buffer + chunk).split(b"\r\n\r\n")
            for frame in frames:
                if b"event: stream.reset" in frame:
                    self.resets += 1
                found = ID.search(frame)
                if found:  # any block's id, as EventSource keeps it (the first frame's too)
                    listener.last_id = found.group(1).decode()
                match = MARK.search(frame)
                if match is None:
                    continue
                seq = int(match.group(1))
                if seq in listener.seen:
                    self.duplicates += 1
                    continue
                listener.seen.add(seq)
                self.delays[seq].append(now - float(match.group(2)))
                self.last_arrival[seq] = now

    async def drop(self, listener: Listener) -> None:
        """Close one stream as a client losing its connection would."""
        listener.dropped = True
        if listener.writer is not None:
            listener.writer.close()
        if listener.task is not None:
            listener.task.cancel()
            await asyncio.gather(listener.task, return_exceptions=True)

    def received(self, seq: int) -> int:
        """Return how many listeners have seen a seq."""
        return len(self.delays.get(seq, ()))

    async def close(self, listeners: list[Listener]) -> None:
        """Close every stream."""
        await asyncio.gather(*(self.drop(listener) for listener in listeners))
