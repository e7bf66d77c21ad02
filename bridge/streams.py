"""Open SSE streams of linked extensions: what they carry, and closing them.

A stream of `/vtt/stream` reads: a `retry` hint first (with, on a fresh
stream, the bus position it joined at as its id), then the events its token
may see, each with its bus id: on a resume, the missed history (read a page
per write, as the client drains: see `bridge.bus`), then live events. When
the resume point was lost it first sends a `stream.reset` event (the "not
recovered" signal), so the extension refetches from Core, then the events
still kept. `StreamRegistry` remembers which streams belong to which token,
so a revocation (arriving on the control topic from any instance) ends them
at once, and heartbeats idle streams from one shared timer.

The stream goes through the fan-out hub (`bridge.fanout`): `open_live`
registers a `Connection`, taps its games and returns the `LiveStream`
response, whose `Opening` sends the retry hint, the reset and the missed
history before the hub writes live events to it directly.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections import OrderedDict
from collections.abc import AsyncIterator
from typing import Protocol

from sse_starlette import ServerSentEvent

from bridge.bus import BusEvent, EventBus, Replay
from bridge.errors import TooManyStreamsError
from bridge.events import (
    CONTROL_TOPIC,
    TOKEN_REVOKED,
    TokenRevoked,
    Viewer,
    game_topic,
    visible_to,
)
from bridge.eventstream import LiveStream
from bridge.fanout import Connection, Hub, State, Tally, encode
from bridge.tokens import Grant
from core_client import RecordError
from core_client.contract import codec

log = logging.getLogger(__name__)

RESET = "stream.reset"
REVOKED = "stream.revoked"
REVOKED_FRAME = ServerSentEvent(data='{"reason":"token_revoked"}', event=REVOKED).encode()
PING = b": ping\r\n\r\n"
# Revoked token ids are remembered only to close streams racing the revocation
# (a request already past authentication); the store refuses the token after.
REVOKED_SECONDS = 600.0
REVOKED_MAX = 10_000


class RecentSet:
    """A set whose members are forgotten after `ttl` seconds, holding at most `size`."""

    def __init__(self, ttl: float = REVOKED_SECONDS, size: int = REVOKED_MAX) -> None:
        self._ttl = ttl
        self._size = size
        self._items: OrderedDict[str, float] = OrderedDict()  # member -> expiry, oldest first

    def add(self, member: str) -> None:
        """Remember `member` for `ttl` seconds, dropping the oldest beyond `size`."""
        self._items.pop(member, None)
        self._items[member] = time.monotonic() + self._ttl
        self._prune()

    def __contains__(self, member: object) -> bool:
        expiry = self._items.get(member) if isinstance(member, str) else None
        return expiry is not None and expiry > time.monotonic()

    def __len__(self) -> int:
        self._prune()
        return len(self._items)

    def _prune(self) -> None:
        now = time.monotonic()
        while self._items and (
            len(self._items) > self._size or next(iter(self._items.values())) <= now
        ):
            self._items.popitem(last=False)


class Stream(Protocol):
    """An open stream as the registry ends it: a subscription or a hub connection."""

    def cancel(self) -> None: ...

    def close(self) -> None: ...

    def ping(self) -> None: ...


class StreamRegistry:
    """The open streams of this instance, by token id."""

    def __init__(self, *, revoked_seconds: float = REVOKED_SECONDS) -> None:
        self._open: dict[str, set[Stream]] = {}
        self.revoked = RecentSet(revoked_seconds)
        self.closing = False
        self.tally = Tally()  # events handed to streams, for GET /metrics

    @property
    def delivered(self) -> int:
        """Return how many events were handed to streams."""
        return self.tally.count

    def add(self, token_id: str, sub: Stream, *, limit: int | None = None) -> None:
        """Remember an open stream of a token; refuse one beyond `limit` per token."""
        subs = self._open.setdefault(token_id, set())
        if limit is not None and len(subs) >= limit:
            if not subs:
                del self._open[token_id]
            raise TooManyStreamsError(
                f"this token already has {len(subs)} open streams; at most {limit} are allowed"
            )
        subs.add(sub)

    def count(self, token_id: str) -> int:
        """Return how many streams a token has open here."""
        return len(self._open.get(token_id, ()))

    def discard(self, token_id: str, sub: Stream) -> None:
        """Forget a stream that ended."""
        subs = self._open.get(token_id)
        if subs is not None:
            subs.discard(sub)
            if not subs:
                del self._open[token_id]

    def revoke(self, token_id: str) -> int:
        """End every open stream of a token now; return how many there were."""
        self.revoked.add(token_id)
        subs = self._open.pop(token_id, set())
        for sub in subs:
            sub.cancel()
        return len(subs)

    def close_all(self) -> int:
        """End every open stream after what it has queued (shutdown); refuse new ones."""
        self.closing = True
        subs = [sub for subs in self._open.values() for sub in subs]
        for sub in subs:
            sub.close()
        return len(subs)

    def ping_all(self) -> None:
        """Heartbeat every stream (a live hub connection writes it in this pass)."""
        for subs in self._open.values():
            for sub in subs:
                sub.ping()

    def __len__(self) -> int:
        return sum(len(s) for s in self._open.values())


async def watch_revocations(bus: EventBus, registry: StreamRegistry) -> None:
    """Close streams of tokens revoked anywhere, until cancelled.

    The revocation is handled during its own delivery (a callback, not a
    queue), so the hub writes nothing to a revoked stream after it: events
    published just after a revocation never reach the revoked token.
    """

    def on_event(event: BusEvent) -> None:
        if event.type != TOKEN_REVOKED:
            return
        try:  # runs inside the publisher's call: never raise into it
            revoked = codec.decode(event.data, TokenRevoked)
        except RecordError:
            log.warning("skipping a malformed revocation %s", event.id)
            return
        closed = registry.revoke(revoked.token_id)
        log.info("closed %d stream(s) of a revoked token", closed)

    while True:
        try:
            async with bus.subscribe([CONTROL_TOPIC], on_event=on_event):
                await asyncio.Event().wait()  # until cancelled
        except Exception:
            log.exception("revocation watcher failed; restarting it")
            await asyncio.sleep(1)


async def open_live(
    hub: Hub,
    bus: EventBus,
    registry: StreamRegistry,
    grant: Grant,
    *,
    last_event_id: str | None,
    retry_ms: int,
    send_timeout: float,
    max_streams: int | None = None,
) -> LiveStream:
    """Register a stream of a token's games on the hub; return its response.

    A token already holding `max_streams` streams gets `TooManyStreamsError`
    before anything is sent. Its games are tapped before the response starts,
    so every event published once it has its first frame reaches it.
    """
    topics = frozenset(game_topic(grant.campaign_id, g) for g in grant.games)
    viewer = Viewer(grant.platform, grant.user_id, grant.gm, grant.token_id)
    conn = Connection(grant.token_id, topics, viewer, registry.tally)
    registry.add(grant.token_id, conn, limit=max_streams)
    try:
        await hub.join(conn)
    except BaseException:
        registry.discard(grant.token_id, conn)
        await hub.leave(conn)
        raise
    # Read with no await since joining: every event after it reaches this stream.
    position = bus.position() if last_event_id is None else None
    if grant.token_id in registry.revoked or registry.closing:
        conn.cancel()  # revoked (or shutting down) since the request came in
    opening = Opening(bus, conn, last_event_id, retry_ms, position)
    return LiveStream(
        hub, registry, conn, opening, send_timeout=send_timeout, revoked_frame=REVOKED_FRAME
    )


class Opening:
    """What a hub connection sends before it goes live: retry hint, reset, missed history.

    The history is read from the bus (so a resume works across instances);
    the hub's rings hold what arrived meanwhile, and `covers` tells which of
    those the replay already sent.

    A fresh stream's first frame carries the bus position it joined at as
    its `id:` (no data, so it is not an event: SSE clients only take the id).
    Without it, a client that lost its connection before its first event had
    no id to resume from, and the events published while it was away were
    lost to it (the mix benchmark found this: docs/benchmarks.md).
    """

    __slots__ = ("_bus", "_conn", "_last_event_id", "_position", "_replayed", "_retry_ms")

    def __init__(
        self,
        bus: EventBus,
        conn: Connection,
        last_event_id: str | None,
        retry_ms: int,
        position: str | None = None,
    ) -> None:
        self._bus = bus
        self._conn = conn
        self._last_event_id = last_event_id
        self._retry_ms = retry_ms
        self._position = position  # where a fresh stream joined: its first frame's id
        self._replayed: Replay | None = None

    def hello(self) -> bytes:
        """Return the first frame: the retry hint and, on a fresh stream, where it joined."""
        return connected(self._retry_ms, self._position)

    def history(self) -> AsyncIterator[bytes] | None:
        """Return the frames of a resume (the reset if due, the missed history); None if none."""
        return None if self._last_event_id is None else self._history(self._last_event_id)

    async def _history(self, last_event_id: str) -> AsyncIterator[bytes]:
        conn = self._conn
        # A queue of one: live events reach this client through the hub, and
        # the replay's cursor moves up over those the queue cannot take.
        async with self._bus.subscribe(
            conn.topics, last_event_id=last_event_id, queue_size=1
        ) as sub:
            if not sub.recovered:
                yield _reset(last_event_id)
            replay = sub.replay
            while replay is not None and conn.state is not State.ENDING:
                page = await replay.page(64)
                if not page:
                    break
                frames = [encode(e) for e in page if visible_to(e.data, conn.viewer)]
                if frames:
                    yield b"".join(frames)
            self._replayed = replay

    def covers(self, event: BusEvent) -> bool:
        """Return whether the replay already sent this live event."""
        return self._replayed is not None and self._replayed.covers(event)


def connected(retry_ms: int, position: str | None) -> bytes:
    """Return a stream's first frame: the retry hint and, if fresh, its resume point."""
    return ServerSentEvent(comment="connected", retry=retry_ms, id=position).encode()


def _reset(last_event_id: str) -> bytes:
    data = {
        "recovered": False,
        "last_event_id": last_event_id,
        "reason": "the events after this id are no longer retained",
    }
    return ServerSentEvent(data=json.dumps(data), event=RESET).encode()


async def beat(registry: StreamRegistry, interval: float) -> None:
    """Send heartbeats on idle streams every `interval` seconds, until cancelled."""
    # One timer for all streams: a timeout per stream and per wait would cost
    # a timer-heap entry for every event delivered.
    while True:
        await asyncio.sleep(interval)
        registry.ping_all()


@contextlib.asynccontextmanager
async def stream_housekeeping(
    bus: EventBus, registry: StreamRegistry, heartbeat: float
) -> AsyncIterator[None]:
    """Run revocation watching and heartbeats for the life of the app."""
    tasks = [
        asyncio.create_task(watch_revocations(bus, registry), name="revocation watcher"),
        asyncio.create_task(beat(registry, heartbeat), name="sse heartbeat"),
    ]
    try:
        yield
    finally:
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
