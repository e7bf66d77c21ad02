"""A lean SSE response for the `/vtt/stream` fan-out path.

sse-starlette's `EventSourceResponse` opens an anyio cancel scope for every
frame it sends and runs a ping task per connection. With it, an event took
150 ms (p99) to reach 1,000 clients and each connection cost 49 KiB; with
this response, 91 ms and 31 KiB (docs/benchmarks.md). `EventStream` is
Starlette's `StreamingResponse` (one disconnect listener per connection)
plus a send timeout: the frames, heartbeats included, come pre-encoded from
`bridge.streams.game_stream`, which batches queued events into one write.

A client whose socket stays blocked past `send_timeout` is dropped by
returning with the response unfinished (no ASGI message could finish it:
uvicorn waits for the socket to drain before writing any). uvicorn logs that
as an ERROR for every such client; a filter on its logger leaves that line
out for the responses dropped here, which log a warning instead: a frozen
client is expected under load, and it resumes with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Mapping
from contextvars import ContextVar

from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

log = logging.getLogger(__name__)

HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
UNFINISHED = "ASGI callable returned without completing response."

# The response of the request being served, in the task uvicorn serves it in
# (which is where it logs once the app returns).
_RESPONSE: ContextVar[EventStream | None] = ContextVar("sse_response", default=None)


class DroppedClientFilter(logging.Filter):
    """Leave out uvicorn's ERROR about an unfinished response for a dropped SSE client."""

    def filter(self, record: logging.LogRecord) -> bool:
        response = _RESPONSE.get()
        return not (response is not None and response.dropped and record.msg == UNFINISHED)


logging.getLogger("uvicorn.error").addFilter(DroppedClientFilter())


class EventStream(StreamingResponse):
    """Stream pre-encoded SSE frames; drop a client whose socket stays blocked."""

    media_type = "text/event-stream"

    def __init__(
        self,
        frames: AsyncIterator[bytes],
        *,
        send_timeout: float,
        headers: Mapping[str, str] | None = None,
        first: bytes | None = None,
    ) -> None:
        super().__init__(frames, headers={**HEADERS, **(headers or {})})
        self.send_timeout = send_timeout
        self.frames = frames
        # A frame already taken from `frames` (which started it), sent first.
        self.first = first
        self.dropped = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        _RESPONSE.set(self)  # in uvicorn's task: middleware and routing only await
        await super().__call__(scope, receive, send)

    async def stream_response(self, send: Send) -> None:
        """Send the frames until they end, the client leaves or a send blocks too long."""
        try:
            # Inside the try: `frames` may be started already and must be closed.
            await send({"type": "http.response.start", "status": 200, "headers": self.raw_headers})
            if self.first is not None:
                async with asyncio.timeout(self.send_timeout):
                    body = {"type": "http.response.body", "body": self.first, "more_body": True}
                    await send(body)
            async for frame in self.frames:
                async with asyncio.timeout(self.send_timeout):
                    await send({"type": "http.response.body", "body": frame, "more_body": True})
        except TimeoutError:
            # A frozen client: return without completing, and the server closes it.
            log.warning("SSE client blocked a send for %g s; dropping it", self.send_timeout)
            self.dropped = True
            return
        finally:
            await _close(self.frames)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


async def _close(frames: AsyncIterator[bytes]) -> None:
    aclose = getattr(frames, "aclose", None)
    if aclose is not None:
        await aclose()
