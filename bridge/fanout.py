"""Fan-out without a wake-up per client: one pass writes each frame to every ready stream.

A task per client woken for every event costs a loop iteration, a queue and
a context switch per delivery; with 1,000 clients that was most of the CPU
of a fan-out (docs/benchmarks.md). Here the `Hub` taps each game topic on
the bus once, with a callback rather than a queue. A new event is encoded
once, kept in the game's `Ring`, and written, in the same synchronous pass,
to every live `Connection` of the game that may see it (`visible_to`).

A write is the ASGI server's own `send`, stepped once by hand: uvicorn's
send completes without suspending unless the transport is paused by flow
control. If it suspends, that connection leaves the pass: its own task
finishes the send (under the send timeout), then catches up from its
cursor in the rings, and rejoins the pass when it has nothing left to read.
A connection whose cursor falls out of a ring is dropped, and its client
resumes from the bus history with `Last-Event-ID`. The server's `receive()`
is stepped the same way, from a callback, to notice the disconnect without
a task per idle stream.
"""

from __future__ import annotations

import asyncio
import enum
import logging
from collections.abc import Awaitable, Callable, Coroutine, Generator, Mapping
from typing import Any, cast

from sse_starlette import ServerSentEvent

from bridge.bus import BusEvent, EventBus, SubscriptionContext
from bridge.events import Viewer, visible_to
from bridge.ring import Entry, Ring, merged_after

log = logging.getLogger(__name__)

PING = b": ping\r\n\r\n"
PAGE = 256  # entries read per write while catching up

Send = Callable[[dict[str, Any]], Awaitable[None]]  # the ASGI server's; a coroutine function
Receive = Callable[[], Awaitable[Mapping[str, Any]]]  # the ASGI server's; a coroutine function


def body(frame: bytes) -> dict[str, Any]:
    """Return the ASGI message that writes a frame."""
    return {"type": "http.response.body", "body": frame, "more_body": True}


def encode(event: BusEvent) -> bytes:
    """Return an event's SSE frame."""
    return ServerSentEvent(data=event.json(), event=event.type, id=event.id).encode()


class State(enum.Enum):
    PENDING = "pending"  # not live yet: replaying, or its send is not set
    LIVE = "live"  # written to by the hub's pass
    BEHIND = "behind"  # its transport paused: its own task catches up
    ENDING = "ending"  # closed, revoked or gone: its task ends the response


class Tally:
    """Counts shared by many connections: for GET /metrics and for tests."""

    __slots__ = ("count", "lagged", "paused")

    def __init__(self) -> None:
        self.count = 0  # events delivered
        self.paused = 0  # writes that found the transport paused
        self.lagged = 0  # connections dropped past the window


class Connection:
    """One open stream: who reads it, where it is, and how to write to it."""

    # Slots: one of these per open stream, 10,000 of them on one process.
    __slots__ = (
        "_reading",
        "_receive",
        "_wake",
        "cursor",
        "deadline",
        "lagged",
        "pending",
        "revoked",
        "send",
        "state",
        "tally",
        "token_id",
        "topics",
        "viewer",
    )

    def __init__(
        self, token_id: str, topics: frozenset[str], viewer: Viewer, tally: Tally | None = None
    ) -> None:
        self.token_id = token_id
        self.topics = topics
        self.viewer = viewer
        self.cursor = 0  # seq of the last entry handled
        self.state = State.PENDING
        self.revoked = False
        self.tally = tally or Tally()
        self.send: Send | None = None
        self.pending: Rest | None = None  # a send the pass started and could not finish
        self.lagged = False
        # The send timeout the connection's task waits under, moved up to end a lagging wait.
        self.deadline: asyncio.Timeout | None = None
        self._wake: asyncio.Future[None] | None = None  # what its task awaits while idle
        self._receive: Receive | None = None  # the server's, while watched for the disconnect
        self._reading: Coroutine[Any, Any, Any] | None = None  # its call now suspended

    def offer(self, entry: Entry, lost_upto: int) -> None:
        """Write an entry now if live and it may see it; drop it if behind past the window."""
        if self.state is not State.LIVE:
            if self.state is State.BEHIND and lost_upto > self.cursor:
                self.lag()
            return
        self.cursor = entry.seq
        if visible_to(entry.event.data, self.viewer):
            self.tally.count += 1
            self.write(entry.frame)

    def ping(self) -> None:
        """Send a heartbeat if live (one that is behind is being written anyway)."""
        if self.state is State.LIVE:
            self.write(PING)

    def write(self, frame: bytes) -> None:
        """Write a frame with one step of the server's send; hand a paused one to the task."""
        assert self.send is not None
        # The server's send is a coroutine function (uvicorn's is): step it once.
        coro = cast("Coroutine[Any, Any, None]", self.send(body(frame)))
        try:
            yielded = coro.send(None)
        except StopIteration:
            return
        except Exception:
            log.warning("SSE write failed; ending the stream", exc_info=True)
            self.end()
            return
        self.pending = Rest(coro, yielded)
        self.state = State.BEHIND
        self.tally.paused += 1
        self.wake()

    def lag(self) -> None:
        """Drop a connection that fell out of the window; its client resumes."""
        self.lagged = True
        self.tally.lagged += 1
        self.end()
        if self.deadline is not None:
            self.deadline.reschedule(asyncio.get_running_loop().time())

    def close(self) -> None:
        """End after what it has been sent (shutdown)."""
        self.end()

    def cancel(self) -> None:
        """End at once (revocation)."""
        self.revoked = True
        self.end()

    def end(self) -> None:
        """Leave the pass and let the connection's task end the response."""
        self.state = State.ENDING
        self.wake()

    def wake(self) -> None:
        """Wake the connection's task, if it waits."""
        if self._wake is not None and not self._wake.done():
            self._wake.set_result(None)

    def idle(self) -> asyncio.Future[None]:
        """Return what to await until the pass hands this connection back to its task.

        A future, not a coroutine: one frame fewer suspended per idle stream.
        """
        wake = self._wake = asyncio.get_running_loop().create_future()
        if self.state not in (State.LIVE, State.PENDING):
            wake.set_result(None)
        return wake

    def watch(self, receive: Receive) -> None:
        """End the connection when its client disconnects, without a task of its own.

        A task per stream awaiting `receive()` cost a task, its coroutine and
        a wake-up future per idle stream (docs/benchmarks.md). Instead the
        server's `receive()` is stepped by hand, like a send in `write`, and
        resumed from a done-callback on the future it waits on.
        """
        self._receive = receive
        self._read(None)

    def unwatch(self) -> None:
        """Stop watching: abandon the suspended `receive()`."""
        self._receive = None
        reading, self._reading = self._reading, None
        if reading is not None:
            reading.close()

    def _read(self, _done: object) -> None:
        """Step `receive()` until it waits; end the connection on the disconnect."""
        while (receive := self._receive) is not None:
            coro = self._reading or cast("Coroutine[Any, Any, Any]", receive())
            self._reading = None
            try:
                waits_on = coro.send(None)
            except StopIteration as stop:
                if stop.value["type"] == "http.disconnect":
                    break
                continue  # a request body message: read on
            except (Exception, asyncio.CancelledError):  # no task here to cancel
                break
            if waits_on is None:  # a bare yield (`asyncio.sleep(0)`): step again soon
                asyncio.get_running_loop().call_soon(self._read, None)
            elif asyncio.isfuture(waits_on):
                waits_on._asyncio_future_blocking = False  # as a task does, taking it
                waits_on.add_done_callback(self._read)
            else:  # a task would refuse it too
                coro.close()
                break
            self._reading = coro
            return
        if self._receive is not None:
            self._receive = None
            self.end()


class Rest:
    """The rest of a coroutine stepped outside any task, to be awaited from one."""

    __slots__ = ("_coro", "_started", "_yielded")

    def __init__(self, coro: Coroutine[Any, Any, Any], yielded: Any) -> None:
        self._coro = coro
        self._yielded = yielded
        self._started = True

    @classmethod
    def of(cls, awaitable: Awaitable[Any]) -> Rest:
        """Wrap a send not started yet."""
        rest = cls(cast("Coroutine[Any, Any, Any]", awaitable), None)
        rest._started = False
        return rest

    def __await__(self) -> Generator[Any, Any, None]:
        coro, yielded = self._coro, self._yielded
        if not self._started:
            try:
                yielded = coro.send(None)
            except StopIteration:
                return
        while True:
            try:
                value = yield yielded
            except BaseException as exc:  # cancelled (the send timeout): pass it in
                try:
                    yielded = coro.throw(exc)
                except StopIteration:
                    return
                continue
            try:
                yielded = coro.send(value)
            except StopIteration:
                return

    def close(self) -> None:
        """Abandon the coroutine."""
        self._coro.close()


class _Game:
    """One tapped topic: its ring and its connections."""

    def __init__(self, topic: str, size: int) -> None:
        self.ring = Ring(size)
        self.topics = frozenset((topic,))
        self.connections: set[Connection] = set()
        self.opened: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.tap: SubscriptionContext | None = None


class Hub:
    """Every game this instance streams: taps the bus once per game, fans frames out."""

    def __init__(self, bus: EventBus, *, window: int) -> None:
        self._bus = bus
        self._window = window
        self._games: dict[str, _Game] = {}
        self.seq = 0  # of the newest entry, across games
        self.encodes = 0  # frames encoded: one per event, whatever the audience

    async def join(self, conn: Connection) -> None:
        """Tap the connection's games and place its cursor at the newest entry."""
        for topic in conn.topics:
            game = self._games.get(topic)
            if game is None:
                game = self._games[topic] = _Game(topic, self._window)
                await self._open(topic, game)
            elif not game.opened.done():
                await asyncio.shield(game.opened)
            game.connections.add(conn)
            if conn.topics == game.topics:
                conn.topics = game.topics  # one set for all the game's one-game streams
        conn.cursor = self.seq

    async def _open(self, topic: str, game: _Game) -> None:
        tap = self._bus.subscribe([topic], on_event=lambda e: self.deliver(topic, e))
        try:
            await tap.__aenter__()
        except BaseException as exc:
            del self._games[topic]
            game.opened.set_exception(exc)
            game.opened.exception()  # retrieved: waiters re-raise it
            raise
        game.tap = tap
        game.opened.set_result(None)

    async def leave(self, conn: Connection) -> None:
        """Forget a connection; untap a game nobody streams any more."""
        for topic in conn.topics:
            game = self._games.get(topic)
            if game is None:
                continue
            game.connections.discard(conn)
            if not game.connections and game.opened.done() and game.tap is not None:
                del self._games[topic]
                await game.tap.__aexit__(None, None, None)

    def deliver(self, topic: str, event: BusEvent) -> None:
        """Encode an event once, keep it, and write it to every live connection of its game."""
        game = self._games.get(topic)
        if game is None:
            return
        self.seq += 1
        self.encodes += 1
        entry = Entry(self.seq, event, encode(event))
        game.ring.append(entry)
        lost = game.ring.lost_upto
        for conn in tuple(game.connections):
            conn.offer(entry, lost)

    def missed(self, conn: Connection, limit: int = PAGE) -> list[Entry] | None:
        """Return what a connection has not handled yet; None if it is past the window."""
        rings = [g.ring for t in conn.topics if (g := self._games.get(t)) is not None]
        return merged_after(rings, conn.cursor, limit)

    def __len__(self) -> int:
        return len(self._games)
