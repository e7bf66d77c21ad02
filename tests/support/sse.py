"""A minimal SSE client over httpx, reading the stream as a browser would."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

import httpx2


@dataclass
class Message:
    event: str
    data: str
    id: str | None

    def json(self) -> Any:
        return json.loads(self.data)


class SSEStream:
    """Parsed events from one open SSE response."""

    def __init__(self, response: httpx2.Response) -> None:
        self.response = response
        self._lines = response.aiter_lines()
        self.retry: int | None = None
        self.comments: list[str] = []
        # As EventSource's lastEventId: set by any block's id, events or not.
        self.last_event_id: str | None = None

    async def next(self, timeout: float = 5.0) -> Message:
        """Return the next event (not comments), waiting at most `timeout` seconds."""
        return await asyncio.wait_for(self._read(), timeout)

    async def _read(self) -> Message:
        event, event_id = "message", None
        data: list[str] = []
        async for line in self._lines:
            if not line:
                if event_id is not None:
                    self.last_event_id = event_id
                if data:
                    return Message(event, "\n".join(data), event_id)
                event, event_id = "message", None
                continue
            name, _, value = line.partition(":")
            value = value.removeprefix(" ")
            if name == "":
                self.comments.append(value)
            elif name == "event":
                event = value
            elif name == "data":
                data.append(value)
            elif name == "id":
                event_id = value
            elif name == "retry":
                self.retry = int(value)
        raise EOFError("the stream ended")

    async def opening(self, timeout: float = 5.0) -> None:
        """Read the rest of the first frame (its id and retry hint), which is no event."""

        async def rest() -> None:
            async for line in self._lines:
                if not line:
                    return
                name, _, value = line.partition(":")
                if name == "id":
                    self.last_event_id = value.removeprefix(" ")
                elif name == "retry":
                    self.retry = int(value)

        await asyncio.wait_for(rest(), timeout)


@asynccontextmanager
async def open_stream(
    client: httpx2.AsyncClient, url: str, headers: dict[str, str] | None = None
) -> AsyncIterator[SSEStream]:
    """Open an SSE stream and wait until the server has subscribed us."""
    async with client.stream("GET", url, headers=headers) as response:
        response.raise_for_status()
        stream = SSEStream(response)
        # The server's first frame is a comment sent after it subscribed, so
        # anything published from here on reaches this client.
        first = await asyncio.wait_for(stream._lines.__anext__(), 5)
        assert first.startswith(":"), first
        yield stream
