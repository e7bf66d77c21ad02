"""The bridge's event bus: publish once, deliver to every subscriber.

Each subscriber owns one bounded queue. Publishing never waits on a slow
subscriber: when its queue is full it is marked lagging and its stream ends,
and the client reconnects with `Last-Event-ID` to resume from the bus's
history. The in-process backend here is the default; the Redis Streams
backend (`bridge.bus_redis`) implements the same `EventBus` protocol for
several processes.

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
import itertools
import logging
import secrets
import time
from collections import deque
from collections.abc import AsyncIterator, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any, Protocol

from core_client.contract.bus import BusEvent

log = logging.getLogger(__name__)

__all__ = ["BusEvent", "EventBus", "InMemoryBus", "SubscriberLaggingError", "Subscription"]

SWEEP_SECONDS = 60.0  # at most this long between sweeps of expired topics
MAX_SEQ_DIGITS = 18


class SubscriberLaggingError(Exception):
    """The subscriber fell too far behind and was cut off; it may resume."""


# Control markers travel through the same queue as events, so a waiting
# subscriber wakes for them without a second awaitable per iteration.
_LAGGED: Any = object()
_CLOSED: Any = object()
_PING: Any = object()


@dataclass(eq=False)
class Subscription:
    """One subscriber's view of the bus: a bounded queue of events."""

    topics: frozenset[str]
    queue: asyncio.Queue[BusEvent] = field(repr=False)
    lagging: bool = False
    # False when the requested resume point is older than the history kept.
    recovered: bool = True

    def offer(self, event: BusEvent) -> None:
        """Queue an event without waiting; cut the subscriber off if it is full."""
        if self.lagging:
            return
        try:
            self.queue.put_nowait(event)
        except asyncio.QueueFull:
            # What is queued is dropped too: the client resumes from the last
            # event it actually received, which the history still holds.
            self.lagging = True
            self._interrupt(_LAGGED)

    def close(self) -> None:
        """End the subscription; its iterator stops after what is queued."""
        try:
            self.queue.put_nowait(_CLOSED)
        except asyncio.QueueFull:
            self._interrupt(_CLOSED)

    def cancel(self) -> None:
        """End the subscription at once, dropping what is queued (revocation)."""
        self._interrupt(_CLOSED)

    def _interrupt(self, marker: Any) -> None:
        while not self.queue.empty():
            self.queue.get_nowait()
        self.queue.put_nowait(marker)

    def ping(self) -> None:
        """Wake an idle subscriber so its stream sends a heartbeat."""
        if not self.lagging and self.queue.empty():
            self.queue.put_nowait(_PING)

    async def batch(self, limit: int = 64) -> list[BusEvent] | None:
        """Wait for events; return those queued (up to `limit`), [] for a ping, None once closed."""
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
            if event is not _PING:
                events.append(event)
        return events

    async def __aiter__(self) -> AsyncIterator[BusEvent]:
        while True:
            event = await self.queue.get()
            if event is _LAGGED:
                raise SubscriberLaggingError
            if event is _CLOSED:
                return
            if event is not _PING:
                yield event


class EventBus(Protocol):
    """What the bridge and the bot need of an event bus."""

    async def publish(
        self, topic: str, type: str, data: Mapping[str, Any], origin: str | None = None
    ) -> BusEvent: ...

    def subscribe(
        self, topics: Iterable[str], *, last_event_id: str | None = None, queue_size: int = 256
    ) -> SubscriptionContext: ...

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

    def __init__(self, *, history_per_topic: int = 1000, history_seconds: float = 900.0) -> None:
        self._epoch = secrets.token_hex(3)
        self._seq = itertools.count(1)
        self._history: dict[str, deque[BusEvent]] = {}
        self._evicted: dict[str, int] = {}  # topic -> highest seq no longer held
        self._history_size = history_per_topic
        self._history_seconds = history_seconds
        self._subscribers: set[Subscription] = set()
        # Highest seq dropped by a sweep; resume points up to it are not recovered.
        self._swept = 0
        self._sweep_every = min(history_seconds, SWEEP_SECONDS)
        self._next_sweep = time.monotonic() + self._sweep_every

    async def publish(
        self, topic: str, type: str, data: Mapping[str, Any], origin: str | None = None
    ) -> BusEvent:
        """Append an event to its topic and offer it to every subscriber of that topic."""
        event_id = f"{self._epoch}-{next(self._seq)}"
        event = BusEvent(event_id, topic, type, dict(data), origin, time.time())
        history = self._history.setdefault(topic, deque())
        if len(history) >= self._history_size:
            self._evict(topic, history.popleft())
        history.append(event)
        self._expire(topic)
        if time.monotonic() >= self._next_sweep:
            self._sweep()
        for sub in tuple(self._subscribers):
            if topic in sub.topics:
                sub.offer(event)
        return event

    def subscribe(
        self, topics: Iterable[str], *, last_event_id: str | None = None, queue_size: int = 256
    ) -> _InMemorySubscription:
        """Subscribe to topics, first replaying what came after `last_event_id`."""
        return _InMemorySubscription(self, frozenset(topics), last_event_id, queue_size)

    def missed(self, topics: frozenset[str], last_event_id: str) -> tuple[list[BusEvent], bool]:
        """Return retained events after `last_event_id` in order, and whether none are lost."""
        epoch, _, seq = last_event_id.partition("-")
        if epoch != self._epoch or not _is_seq(seq):
            found = [e for t in topics for e in self._retained(t)]
            return sorted(found, key=_seq), False
        after = int(seq)
        found = [e for t in topics for e in self._retained(t) if _seq(e) > after]
        recovered = all(self._lost_upto(t) <= after for t in topics)
        return sorted(found, key=_seq), recovered

    async def aclose(self) -> None:
        """End every subscription."""
        for sub in self._subscribers:
            sub.close()
        self._subscribers.clear()

    def _lost_upto(self, topic: str) -> int:
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
        cutoff = time.time() - self._history_seconds
        while history and history[0].at < cutoff:
            self._evict(topic, history.popleft())

    def _evict(self, topic: str, event: BusEvent) -> None:
        self._evicted[topic] = _seq(event)

    def _add(self, sub: Subscription) -> None:
        self._subscribers.add(sub)

    def _remove(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)


def _is_seq(value: str) -> bool:
    # isdigit alone accepts "²", which int() refuses.
    return value.isascii() and value.isdigit() and len(value) <= MAX_SEQ_DIGITS


def _seq(event: BusEvent) -> int:
    return int(event.id.rpartition("-")[2])


class _InMemorySubscription:
    def __init__(
        self, bus: InMemoryBus, topics: frozenset[str], last_event_id: str | None, size: int
    ) -> None:
        self._bus = bus
        self._sub = Subscription(topics=topics, queue=asyncio.Queue(maxsize=size))
        self._last_event_id = last_event_id

    async def __aenter__(self) -> Subscription:
        if self._last_event_id is not None:
            events, self._sub.recovered = self._bus.missed(self._sub.topics, self._last_event_id)
            for event in events:
                self._sub.offer(event)
        self._bus._add(self._sub)
        return self._sub

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bus._remove(self._sub)
