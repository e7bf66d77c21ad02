"""The bridge's event bus: publish once, deliver to every subscriber.

Each subscriber owns one bounded queue. Publishing never waits on a slow
subscriber: when its queue is full it is marked lagging and its stream ends,
and the client reconnects with `Last-Event-ID` to resume from the bus's
history. The in-process backend here is the default; the Redis Streams
backend (`bridge.bus_redis`) implements the same `EventBus` protocol for
several processes.

A resume never goes through that queue, which is far smaller than the
history: the subscription is added to the live fan-out and the live cursor
(the newest id) noted in one step, and its `Replay` then reads the history
after `Last-Event-ID` up to that cursor a page at a time, as the client
drains, before the queued live events (all newer than the cursor) follow.
Should the queue fill while the replay is still running, its events are
dropped and the cursor moved up to cover them, since the history has them
too. Memory per connection is one page plus the queue, whatever the gap.

History is bounded twice: at most `history_per_topic` events per topic, and
none older than `history_seconds`. A subscriber resuming from an id older
than what a topic still holds gets what is left, with `recovered = False` on
its subscription so the client can be told to refetch (the "not recovered"
signal, as Centrifugo calls it). In-process ids are `<epoch>-<seq>`; the
epoch changes when the process restarts, which also counts as not recovered.

A topic whose events have all expired is dropped entirely (swept lazily on
publish), so topics nobody uses again cost nothing. A resume point at or
before the newest event so swept counts as not recovered on every topic the
bus holds no eviction mark for: conservative, and such a point is older
than `history_seconds` anyway.
"""

from __future__ import annotations

import asyncio
import bisect
import itertools
import logging
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from bridge.errors import BridgeError
from core_client.contract.bus import BusEvent

log = logging.getLogger(__name__)

__all__ = [
    "BusEvent",
    "EventBus",
    "InMemoryBus",
    "SubscriberLaggingError",
    "Subscribers",
    "Subscription",
]

SWEEP_SECONDS = 60.0  # at most this long between sweeps of expired topics
MAX_SEQ_DIGITS = 18


class SubscriberLaggingError(BridgeError):
    """The subscriber fell too far behind and was cut off; it may resume."""

    status = 503
    code = "subscriber_lagging"

    def __init__(
        self, message: str = "the subscriber fell behind; resume from its last id"
    ) -> None:
        super().__init__(message)


# Control markers travel through the same queue as events, so a waiting
# subscriber wakes for them without a second awaitable per iteration.
_LAGGED: Any = object()
_CLOSED: Any = object()
_PING: Any = object()


class Replay(Protocol):
    """The history a resuming subscriber missed, read one page at a time."""

    async def page(self, limit: int) -> list[BusEvent]:
        """Return the next (at most `limit`) events in order, [] once at the cursor.

        Raise `SubscriberLaggingError` if the history dropped an event not yet
        returned (the client fell behind the window while replaying).
        """
        ...

    def extend(self, event: BusEvent) -> None:
        """Move the cursor up to `event`: the live queue dropped it and older ones."""
        ...

    def covers(self, event: BusEvent) -> bool:
        """Return whether `event` is at or before what was replayed (already sent)."""
        ...


@dataclass(eq=False)
class Subscription:
    """One subscriber's view of the bus: a bounded queue of events."""

    topics: frozenset[str]
    queue: asyncio.Queue[BusEvent] = field(repr=False)
    lagging: bool = False
    # False when the requested resume point is older than the history kept.
    recovered: bool = True
    # The missed history still to send, before the queue; None once caught up.
    replay: Replay | None = field(default=None, repr=False)
    # The finished replay, to drop live events it already sent (another
    # instance's reader may be behind the id the client resumed from).
    _replayed: Replay | None = field(default=None, repr=False)

    # Called with each event instead of queueing it (the fan-out's tap).
    on_event: Callable[[BusEvent], None] | None = field(default=None, repr=False)

    def offer(self, event: BusEvent) -> None:
        """Queue an event without waiting; cut the subscriber off if it is full."""
        if self.on_event is not None:
            self.on_event(event)
            return
        if self.lagging:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            if self.replay is not None:
                # Still replaying: the history holds all that is queued, so
                # read it from there rather than cutting the subscriber off.
                self._drain()
                self.replay.extend(event)
                return
            # What is queued is dropped too: the client resumes from the last
            # event it actually received, which the history still holds.
            self.lagging = True
            self._interrupt(_LAGGED)

    def close(self) -> None:
        """End the subscription; its iterator stops after what is queued."""
        if self.replay is not None:
            # Live events queued behind an unfinished replay would leave a gap.
            self.cancel()
            return
        try:
            self.queue.put_nowait(_CLOSED)
        except asyncio.QueueFull:
            self._interrupt(_CLOSED)

    def cancel(self) -> None:
        """End the subscription at once, dropping what is queued (revocation)."""
        self.replay = None
        self._interrupt(_CLOSED)

    def _interrupt(self, marker: Any) -> None:
        self._drain()
        self.queue.put_nowait(marker)

    def _drain(self) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()

    def ping(self) -> None:
        """Wake an idle subscriber so its stream sends a heartbeat."""
        if not self.lagging and self.queue.empty():
            self.queue.put_nowait(_PING)

    async def batch(self, limit: int = 64) -> list[BusEvent] | None:
        """Wait for events; return those queued (up to `limit`), [] for a ping, None once closed.

        A resuming subscriber first gets its missed history, a page per call.
        """
        if self.replay is not None:
            replay = self.replay
            page = await replay.page(limit)
            if self.replay is replay and page:  # else cancelled while reading
                return page
            self.replay, self._replayed = None, replay
        taken = [await self.queue.get()]
        while len(taken) < limit and not self.queue.empty():
            taken.append(self.queue.get_nowait())
        events: list[BusEvent] = []
        for event in taken:
            if event is _LAGGED:
                raise SubscriberLaggingError
            if event is _CLOSED:
                if events:
                    self.queue.put_nowait(_CLOSED)  # end on the next call
                    return events
                return None
            if event is not _PING and not self._sent(event):
                events.append(event)
        return events

    def _sent(self, event: BusEvent) -> bool:
        if self._replayed is None:
            return False
        if self._replayed.covers(event):
            return True
        self._replayed = None  # live events come in order: the rest are new
        return False

    async def __aiter__(self) -> AsyncIterator[BusEvent]:
        while (events := await self.batch()) is not None:
            for event in events:
                yield event


class EventBus(Protocol):
    """What the bridge and the bot need of an event bus."""

    async def publish(
        self, topic: str, type: str, data: Mapping[str, Any], origin: str | None = None
    ) -> BusEvent: ...

    def subscribe(
        self,
        topics: Iterable[str],
        *,
        last_event_id: str | None = None,
        queue_size: int = 256,
        on_event: Callable[[BusEvent], None] | None = None,
    ) -> SubscriptionContext: ...

    def position(self) -> str | None:
        """Return the id of the newest event delivered live, if any was issued.

        Resuming after it misses nothing delivered from now on: a stream
        hands it to a client that has seen no event yet, so that client too
        can resume (see `bridge.streams.Opening`).
        """
        ...

    async def aclose(self) -> None: ...


class SubscriptionContext(Protocol):
    async def __aenter__(self) -> Subscription: ...

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None: ...


class InMemoryBus:
    """The single-process bus, with a bounded history per topic for resume."""

    def __init__(
        self,
        *,
        history_per_topic: int = 1000,
        history_seconds: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._epoch = secrets.token_hex(3)
        self._seq = itertools.count(1)
        self._newest = 0  # seq of the newest event published: the live cursor
        self._clock = clock  # wall clock of event ages (injectable for tests)
        self._history: dict[str, deque[BusEvent]] = {}
        self._evicted: dict[str, int] = {}  # topic -> highest seq no longer held
        self._history_size = history_per_topic
        self._history_seconds = history_seconds
        self._subscribers = Subscribers()
        # Highest seq dropped by a sweep; resume points up to it are not recovered.
        self._swept = 0
        self._sweep_every = min(history_seconds, SWEEP_SECONDS)
        self._next_sweep = time.monotonic() + self._sweep_every

    async def publish(
        self, topic: str, type: str, data: Mapping[str, Any], origin: str | None = None
    ) -> BusEvent:
        """Append an event to its topic and offer it to every subscriber of that topic."""
        self._newest = next(self._seq)
        event_id = f"{self._epoch}-{self._newest}"
        event = BusEvent(event_id, topic, type, dict(data), origin, self._clock())
        history = self._history.setdefault(topic, deque())
        if len(history) >= self._history_size:
            self._evict(topic, history.popleft())
        history.append(event)
        self._expire(topic)
        if time.monotonic() >= self._next_sweep:
            self._sweep()
        for sub in tuple(self._subscribers.get(topic, ())):
            sub.offer(event)
        return event

    def subscribe(
        self,
        topics: Iterable[str],
        *,
        last_event_id: str | None = None,
        queue_size: int = 256,
        on_event: Callable[[BusEvent], None] | None = None,
    ) -> _InMemorySubscription:
        """Subscribe to topics, first replaying what came after `last_event_id`.

        With `on_event`, each live event is handed to it, during the publish,
        instead of being queued.
        """
        sub = _InMemorySubscription(self, frozenset(topics), last_event_id, queue_size)
        sub._sub.on_event = on_event
        return sub

    def replay(self, topics: frozenset[str], last_event_id: str) -> tuple[Replay, bool]:
        """Return the replay of what came after `last_event_id`, and whether none is lost.

        Its cursor is the newest event now: add the subscriber to the live
        fan-out before yielding to the loop, and the two meet with no gap.
        """
        epoch, _, seq = last_event_id.partition("-")
        # An id never issued (unknown epoch, or ahead of the newest) gets all
        # that is kept, and live events are not held back until they pass it.
        known = epoch == self._epoch and _is_seq(seq) and int(seq) <= self._newest
        after = int(seq) if known else 0
        for topic in topics:
            self._expire(topic)
        floors = {t: self.lost_upto(t) for t in topics}
        recovered = known and all(lost <= after for lost in floors.values())
        return _MemoryReplay(self, topics, after, self._newest, floors), recovered

    def position(self) -> str:
        """Return the id of the newest event published (every one was offered at once)."""
        return f"{self._epoch}-{self._newest}"

    def page(self, topics: frozenset[str], after: int, upto: int, limit: int) -> list[BusEvent]:
        """Return the first `limit` retained events with `after < seq <= upto`, in order."""
        found: list[BusEvent] = []
        for topic in topics:
            # A topic's history is in seq order: skip what was sent (a binary
            # search, so a page costs the same anywhere), stop at the cursor.
            history = self._retained(topic)
            unsent = itertools.islice(history, bisect.bisect_right(history, after, key=_seq), None)
            found += itertools.islice(itertools.takewhile(lambda e: _seq(e) <= upto, unsent), limit)
        return sorted(found, key=_seq)[:limit]

    async def aclose(self) -> None:
        """End every subscription."""
        for sub in self._subscribers.all():
            sub.close()
        self._subscribers.clear()

    def lost_upto(self, topic: str) -> int:
        """Return the highest seq of `topic` that may have been dropped."""
        # A topic's mark is exact while it exists: anything swept from it earlier
        # is older than what set the mark. A topic without one may have been
        # swept away (or never seen): assume it lost everything up to the sweep.
        return self._evicted.get(topic, self._swept)

    def _sweep(self) -> None:
        """Drop every topic whose events have all expired, and its eviction mark."""
        self._next_sweep = time.monotonic() + self._sweep_every
        for topic in list(self._history):
            self._expire(topic)
            if not self._history[topic]:
                del self._history[topic]
                self._swept = max(self._swept, self._evicted.pop(topic, 0))

    def _retained(self, topic: str) -> deque[BusEvent]:
        self._expire(topic)
        return self._history.get(topic, deque())

    def _expire(self, topic: str) -> None:
        history = self._history.get(topic)
        cutoff = self._clock() - self._history_seconds
        while history and history[0].at < cutoff:
            self._evict(topic, history.popleft())

    def _evict(self, topic: str, event: BusEvent) -> None:
        self._evicted[topic] = _seq(event)

    def _add(self, sub: Subscription) -> None:
        self._subscribers.add(sub)

    def _remove(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)


class Subscribers:
    """Subscriptions by topic, so a publish visits only its topic's subscribers."""

    def __init__(self) -> None:
        self._by_topic: dict[str, set[Subscription]] = {}

    def add(self, sub: Subscription) -> None:
        """Add a subscription under each of its topics."""
        for topic in sub.topics:
            self._by_topic.setdefault(topic, set()).add(sub)

    def discard(self, sub: Subscription) -> None:
        """Remove a subscription, and topics left without any."""
        for topic in sub.topics:
            subs = self._by_topic.get(topic)
            if subs is not None:
                subs.discard(sub)
                if not subs:
                    del self._by_topic[topic]

    def get(self, topic: str, default: tuple[()] = ()) -> set[Subscription] | tuple[()]:
        """Return a topic's subscriptions."""
        return self._by_topic.get(topic, default)

    def all(self) -> set[Subscription]:
        """Return every subscription."""
        return {sub for subs in self._by_topic.values() for sub in subs}

    def clear(self) -> None:
        """Forget every subscription."""
        self._by_topic.clear()


def _is_seq(value: str) -> bool:
    # isdigit alone accepts "²", which int() refuses.
    return value.isascii() and value.isdigit() and len(value) <= MAX_SEQ_DIGITS


def _seq(event: BusEvent) -> int:
    return int(event.id.rpartition("-")[2])


class _MemoryReplay:
    """A page-at-a-time read of an `InMemoryBus`'s history, from a seq to the cursor."""

    def __init__(
        self,
        bus: InMemoryBus,
        topics: frozenset[str],
        after: int,
        upto: int,
        floors: dict[str, int],
    ) -> None:
        self._bus = bus
        self._topics = topics
        self._after = after  # the last seq sent
        self._upto = upto
        # What each topic had lost when the replay began, told by `recovered`.
        self._floors = floors

    async def page(self, limit: int) -> list[BusEvent]:
        events = self._bus.page(self._topics, self._after, self._upto, limit)
        # Checked after reading, which is what expires old events.
        for topic in self._topics:
            if self._bus.lost_upto(topic) > max(self._after, self._floors[topic]):
                raise SubscriberLaggingError
        if events:
            self._after = _seq(events[-1])
        return events

    def extend(self, event: BusEvent) -> None:
        self._upto = max(self._upto, _seq(event))

    def covers(self, event: BusEvent) -> bool:
        return _seq(event) <= self._after


class _InMemorySubscription:
    def __init__(
        self, bus: InMemoryBus, topics: frozenset[str], last_event_id: str | None, size: int
    ) -> None:
        self._bus = bus
        self._sub = Subscription(topics=topics, queue=asyncio.Queue(maxsize=size))
        self._last_event_id = last_event_id

    async def __aenter__(self) -> Subscription:
        sub = self._sub
        if self._last_event_id is not None:
            # With no await before `_add`, the replay's cursor is exactly where
            # live delivery starts.
            sub.replay, sub.recovered = self._bus.replay(sub.topics, self._last_event_id)
        self._bus._add(sub)
        return sub

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bus._remove(self._sub)
