"""Lean SSE responses for the `/vtt/stream` fan-out path.

`LiveStream` is the fan-out's response: it sends the headers through the
middleware (once, so CORS headers are set) and returns, handing itself to
the outermost `StreamingApp`, so no routing or middleware coroutine stays
suspended for the life of the stream. That app then serves it with the
server's own `send` and `receive`: the opening frames, then the hub
(`bridge.fanout`) writes each event straight to that `send`. Its one
coroutine only wakes when the transport was paused, to catch up, or to end
the response; the disconnect is watched without a task (`Connection.watch`).

`EventStream` streams an async iterator of frames (the overlay feed, `bridge.overlay.feed`):
Starlette's `StreamingResponse` plus a send timeout, for feeds that are not
on the hub. Against a plain sse-starlette broadcast, in the same run, the
hub path reached the last of 1,000 clients in 0.2x the baseline's p99 at
half its memory per connection (docs/benchmarks.md, "Bridge fan-out").

A client whose socket stays blocked past `send_timeout` (or, on the hub,
falls out of the window while blocked) is dropped by
returning with the response unfinished (no ASGI message could finish it:
uvicorn waits for the socket to drain before writing any). uvicorn logs that
as an ERROR for every such client; a filter on its logger leaves that line
out for the responses dropped here, which log a warning instead: a frozen
client is expected under load, and it resumes with `Last-Event-ID`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Callable, Mapping
from contextvars import ContextVar
from typing import Protocol

from starlette.applications import Starlette
from starlette.responses import StreamingResponse
from starlette.types import Receive, Scope, Send

from bridge.bus import BusEvent
from bridge.events import visible_to
from bridge.fanout import Connection, Hub, Rest, State, body

log = logging.getLogger(__name__)

HEADERS = {"Cache-Control": "no-store", "X-Accel-Buffering": "no", "Connection": "keep-alive"}
UNFINISHED = "ASGI callable returned without completing response."
RAW_SEND = "fumblebot.raw_send"
HANDED = "fumblebot.live_streams"  # where a LiveStream hands itself to the StreamingApp
START_HEADERS = [
    *((k.lower().encode(), v.encode()) for k, v in HEADERS.items()),
    (b"content-type", b"text/event-stream; charset=utf-8"),
]

# The response of the request being served, in the task uvicorn serves it in
# (which is where it logs once the app returns).
_RESPONSE: ContextVar[EventStream | LiveStream | None] = ContextVar("sse_response", default=None)


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


class StreamingApp(Starlette):
    """A Starlette app that keeps the server's own `send` and serves live streams itself.

    A `LiveStream` sends its headers through the middleware and returns, so
    the routing and middleware coroutines it was called through end; this
    app, the outermost, then serves the stream's long-lived part with the
    server's own `send` and `receive`. Suspended for the life of every open
    stream, those frames were a third of its memory (docs/benchmarks.md).
    """

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Stash the server's `send`, serve as Starlette does, then any stream handed back."""
        if RAW_SEND in scope:  # mounted in another StreamingApp: that one serves streams
            await super().__call__(scope, receive, send)
            return
        scope[RAW_SEND] = send
        handed: list[LiveStream] = []
        scope[HANDED] = handed
        try:
            await super().__call__(scope, receive, send)
        except BaseException:
            for stream in handed:  # never served: still registered and tapped
                await stream.forget()
            raise
        del scope[HANDED]
        if handed:
            await handed[0].serve(receive)


class Opening(Protocol):
    """What a stream sends before it goes live, and which live events that covered."""

    def hello(self) -> bytes: ...

    def history(self) -> AsyncIterator[bytes] | None: ...

    def covers(self, event: BusEvent) -> bool: ...


class Registry(Protocol):
    """Where a stream is registered while open (`bridge.streams.StreamRegistry`)."""

    def discard(self, token_id: str, sub: Connection) -> None: ...


class LiveStream:
    """The response of one hub connection: opening frames, then catch-ups and the end."""

    __slots__ = ("conn", "dropped", "hub", "opening", "registry", "revoked_frame", "send_timeout")
    media_type = "text/event-stream"

    def __init__(
        self,
        hub: Hub,
        registry: Registry,
        conn: Connection,
        opening: Opening,
        *,
        send_timeout: float,
        revoked_frame: bytes,
    ) -> None:
        self.hub = hub
        self.registry = registry  # told last, to forget the connection
        self.conn = conn
        self.opening: Opening | None = opening  # until its frames are sent
        self.send_timeout = send_timeout
        self.revoked_frame = revoked_frame
        self.dropped = False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        """Send the headers through the middleware, then serve or hand the stream back."""
        start = {"type": "http.response.start", "status": 200, "headers": list(START_HEADERS)}
        try:
            await send(start)
        except BaseException:
            await self.forget()
            raise
        self.conn.send = scope.get(RAW_SEND, send)
        handed: list[LiveStream] | None = scope.get(HANDED)
        if handed is None:  # not under a StreamingApp: serve it from here
            await self.serve(receive)
        else:
            handed.append(self)

    async def serve(self, receive: Receive) -> None:
        """Write the stream until it ends, the client leaves or falls too far behind."""
        # One coroutine frame (this one) suspended per idle stream: the rest only run briefly.
        conn = self.conn
        conn.watch(receive)
        try:
            covered = await self._open()
            while await self._catch_up(covered):
                covered = _nothing
                conn.state = State.LIVE  # caught up, with no await since reading: join the pass
                await conn.idle()
            await self._end()
        except TimeoutError:
            self._drop(
                "fell behind" if conn.lagged else f"blocked a send for {self.send_timeout:g} s"
            )
        finally:
            conn.unwatch()
            if conn.pending is not None:
                conn.pending.close()
            await self.forget()

    async def _open(self) -> Callable[[BusEvent], bool]:
        """Send the opening frames; return which live events they covered."""
        conn, opening = self.conn, self.opening
        assert opening is not None
        self.opening = None
        await self._write(opening.hello())
        history = opening.history()
        if history is not None:
            async for frame in history:
                await self._write(frame)
                if conn.state is State.ENDING:
                    await _close(history)
                    break
        return opening.covers

    async def _end(self) -> None:
        """End the response, saying why if the token was revoked; not if dropped."""
        if self.dropped:
            return
        if self.conn.revoked:
            await self._write(self.revoked_frame)
        assert self.conn.send is not None
        await self.conn.send({"type": "http.response.body", "body": b"", "more_body": False})

    def _drop(self, why: str) -> None:
        """Drop the client (it resumes): the response stays unfinished, the server closes it."""
        log.warning("SSE client %s %s; dropping it so it resumes", self.conn.token_id, why)
        self.dropped = True
        _RESPONSE.set(self)  # uvicorn logs the unfinished response in this task: see the filter

    async def forget(self) -> None:
        """Unregister the connection and leave the hub (once it ends, or if never served)."""
        self.registry.discard(self.conn.token_id, self.conn)
        await self.hub.leave(self.conn)

    async def _catch_up(self, covered: Callable[[BusEvent], bool]) -> bool:
        """Send what the connection missed; return False once it should end."""
        conn = self.conn
        while True:
            if conn.pending is not None:
                pending, conn.pending = conn.pending, None
                await self._finish(pending)
            entries = None if conn.lagged else self.hub.missed(conn)
            if entries is None:
                self._drop("fell behind")
                return False
            if conn.state is State.ENDING:
                return False
            if not entries:
                return True
            conn.cursor = entries[-1].seq
            frames = [
                e.frame
                for e in entries
                if not covered(e.event) and visible_to(e.event.data, conn.viewer)
            ]
            if frames:
                conn.tally.count += len(frames)
                # Off the pass while it writes, so the pass can drop it past the window.
                conn.state = State.BEHIND
                await self._write(b"".join(frames))

    async def _write(self, frame: bytes) -> None:
        assert self.conn.send is not None
        await self._finish(Rest.of(self.conn.send(body(frame))))

    async def _finish(self, pending: Rest) -> None:
        """Await a send under the send timeout, which the pass ends early to drop a laggard."""
        conn = self.conn
        if conn.lagged:
            pending.close()
            raise TimeoutError
        async with asyncio.timeout(self.send_timeout) as conn.deadline:
            await pending
        conn.deadline = None


def _nothing(_event: BusEvent) -> bool:
    return False
