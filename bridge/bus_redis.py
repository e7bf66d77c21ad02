"""The Redis Streams backend of the event bus, for several bridge instances.

Every publish runs one Lua script that appends the event, under one id, to
two streams: the topic's own stream (its history, for resume) and the
instance-wide firehose (for live delivery). Ids are `<ms>-<n>` where `ms` is
Redis's clock (never going back) and `n` a global counter, so ids are totally
ordered across all topics: resuming every topic of a subscription after one
SSE id misses nothing, on any instance.

Each bus instance runs one reader task that XREADs the firehose and offers
events to local subscribers by topic (one Redis connection per instance, not
per client). A subscriber resuming with `Last-Event-ID` first reads the
topic streams with XRANGE, while live events are held back, then switches to
live without gaps or repeats.

History is trimmed to about `history_per_topic` entries (MAXLEN ~) and
`history_seconds` (MINID ~) at each publish, and idle topic streams expire.
A resume point older than what a trimmed topic still holds, or older than
the time window, gives `recovered = False`. All keys share one hash
tag, so the script also runs on a Redis Cluster (on one shard).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Iterable, Mapping
from types import TracebackType
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bridge.bus import BusEvent, Subscription
from core_client import RecordError
from core_client.contract import codec
from core_client.contract.bus import BusEntry

log = logging.getLogger(__name__)

FIREHOSE_MAXLEN = 10_000
READ_BLOCK_MS = 500
READ_COUNT = 500

_PUBLISH = """
local t = redis.call('TIME')
local ms = tonumber(t[1]) * 1000 + math.floor(tonumber(t[2]) / 1000)
local last = tonumber(redis.call('GET', KEYS[3]) or '0')
if ms < last then ms = last end
redis.call('SET', KEYS[3], ms)
local id = ms .. '-' .. redis.call('INCR', KEYS[4])
redis.call('XADD', KEYS[1], 'MAXLEN', '~', ARGV[1], id, 'e', ARGV[2])
redis.call('XTRIM', KEYS[1], 'MINID', '~', (ms - tonumber(ARGV[3])) .. '-0')
redis.call('PEXPIRE', KEYS[1], ARGV[3] * 2)
redis.call('XADD', KEYS[2], 'MAXLEN', '~', ARGV[4], id, 't', ARGV[5], 'e', ARGV[2])
return id
"""


def _key_id(event_id: str) -> tuple[int, int]:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def _trimmed_after(info: Mapping[str, Any], after: str) -> bool:
    """Return whether trimming may have removed entries newer than `after`.

    Trimmed entries are the oldest ones, so none newer than `after` can be
    gone while `after` is at or past the first entry kept. Before it, some
    may be (it cannot be told apart), so this errs on the side of "lost".
    """
    if int(info.get("entries-added", 0)) <= int(info.get("length", 0)):
        return False
    first = info.get("first-entry")
    kept_from = _text(first[0]) if first else _text(info.get("last-generated-id", "0-0"))
    return _key_id(after) < _key_id(kept_from)


def valid_id(event_id: str) -> bool:
    """Return whether a string is a stream id `<ms>-<n>`."""
    ms, dash, seq = event_id.partition("-")
    return (
        len(event_id) < 42 and event_id.isascii() and ms.isdigit() and (not dash or seq.isdigit())
    )


class RedisBus:
    """The EventBus on Redis Streams; share one Redis and prefix across instances."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "fb:bridge",
        history_per_topic: int = 1000,
        history_seconds: float = 900.0,
    ) -> None:
        self._redis = redis
        self._tag = "{" + prefix + "}"
        self._history_size = history_per_topic
        self._history_ms = int(history_seconds * 1000)
        self._publish = redis.register_script(_PUBLISH)
        self._subscribers: set[_Entry] = set()
        self._reader: asyncio.Task[None] | None = None
        self._position = "$"
        self._starting = asyncio.Lock()
        self._closing = False

    async def start(self) -> None:
        """Start reading the firehose; events published from now on are delivered."""
        async with self._starting:  # concurrent first subscribers must start one reader
            if self._reader is None:
                latest = await self._redis.xrevrange(self._firehose, count=1)
                self._position = _text(latest[0][0]) if latest else "0-0"
                self._reader = asyncio.create_task(self._read_forever(), name="redis bus reader")

    async def publish(
        self, topic: str, type: str, data: Mapping[str, Any], origin: str | None = None
    ) -> BusEvent:
        """Append an event to its topic's stream and the firehose; return it with its id."""
        at = time.time()
        body = codec.encode(BusEntry(type, dict(data), at, origin)).decode()
        keys = [self._stream(topic), self._firehose, self._key("lastms"), self._key("seq")]
        args: list[str | int] = [self._history_size, body, self._history_ms, FIREHOSE_MAXLEN, topic]
        event_id = _text(await self._publish(keys=keys, args=args))
        return BusEvent(event_id, topic, type, dict(data), origin, at)

    def subscribe(
        self, topics: Iterable[str], *, last_event_id: str | None = None, queue_size: int = 256
    ) -> _RedisSubscription:
        """Subscribe to topics, first replaying what came after `last_event_id`."""
        return _RedisSubscription(self, frozenset(topics), last_event_id, queue_size)

    async def missed(
        self, topics: frozenset[str], last_event_id: str
    ) -> tuple[list[BusEvent], bool]:
        """Return retained events after `last_event_id` in order, and whether none are lost."""
        if not valid_id(last_event_id):
            return [], False
        cutoff = int(time.time() * 1000) - self._history_ms
        found: list[BusEvent] = []
        recovered = True
        for topic in topics:
            events, complete = await self._topic_since(topic, last_event_id, cutoff)
            found += events
            recovered = recovered and complete
        return sorted(found, key=lambda e: _key_id(e.id)), recovered

    async def aclose(self) -> None:
        """Stop the reader and end every subscription."""
        if self._reader is not None:
            # Let the reader leave between reads: cancelling redis-py in the
            # middle of a blocking XREAD can leave the task stuck cancelling.
            self._closing = True
            try:
                await asyncio.wait_for(asyncio.shield(self._reader), READ_BLOCK_MS / 1000 + 2)
            except TimeoutError:
                self._reader.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await self._reader
            self._reader = None
        for entry in self._subscribers:
            entry.sub.close()
        self._subscribers.clear()

    async def _topic_since(
        self, topic: str, after: str, cutoff: int
    ) -> tuple[list[BusEvent], bool]:
        key = self._stream(topic)
        entries: Any = await self._redis.xrange(key, min="(" + after, max="+")
        events = [e for e in (self._decode(topic, i, f) for i, f in entries or []) if e is not None]
        fresh = [e for e in events if _key_id(e.id)[0] >= cutoff]
        complete = len(fresh) == len(events)
        try:
            info = await self._redis.xinfo_stream(key)
        except ResponseError:  # no such stream: nothing kept, lost only if outside the window
            return fresh, complete and _key_id(after)[0] >= cutoff
        return fresh, complete and not _trimmed_after(info, after)

    async def _read_forever(self) -> None:
        delay = 0.1
        while not self._closing:
            try:
                reply: Any = await self._redis.xread(
                    {self._firehose: self._position}, count=READ_COUNT, block=READ_BLOCK_MS
                )
                delay = 0.1
            except (RedisError, OSError) as exc:
                # The firehose keeps recent events, so after a short outage the
                # reader resumes from its position and nothing is lost.
                log.warning("Redis bus read failed (%s); retrying in %.1f s", exc, delay)
                await asyncio.sleep(delay)
                delay = min(delay * 2, 5.0)
                continue
            for _, entries in reply or []:
                for raw_id, fields in entries:
                    self._position = _text(raw_id)
                    self._dispatch(raw_id, fields)

    def _dispatch(self, raw_id: Any, fields: Mapping[Any, Any]) -> None:
        topic = _text(fields.get(b"t", fields.get("t", "")))
        event = self._decode(topic, raw_id, fields)
        if event is None:
            return
        for entry in tuple(self._subscribers):
            if topic in entry.sub.topics:
                entry.deliver(event)

    def _decode(self, topic: str, raw_id: Any, fields: Mapping[Any, Any]) -> BusEvent | None:
        try:
            entry = codec.decode(fields.get(b"e", fields.get("e", b"")), BusEntry)
        except RecordError:
            log.warning("skipping a malformed event %s on %s", _text(raw_id), topic)
            return None
        return BusEvent(_text(raw_id), topic, entry.type, entry.data, entry.origin, entry.at)

    @property
    def _firehose(self) -> str:
        return self._key("firehose")

    def _stream(self, topic: str) -> str:
        return self._key(f"topic:{topic}")

    def _key(self, name: str) -> str:
        return f"{self._tag}:{name}"

    def _add(self, entry: _Entry) -> None:
        self._subscribers.add(entry)

    def _remove(self, entry: _Entry) -> None:
        self._subscribers.discard(entry)


class _Entry:
    """A subscription as the reader sees it; holds live events while catching up."""

    def __init__(self, sub: Subscription) -> None:
        self.sub = sub
        self.held: list[BusEvent] | None = None
        self.floor = (0, 0)  # ids at or below this were delivered from history

    def deliver(self, event: BusEvent) -> None:
        if self.held is not None:
            self.held.append(event)
        elif _key_id(event.id) > self.floor:
            self.sub.offer(event)

    def catch_up(self, history: list[BusEvent]) -> None:
        for event in history:
            self.sub.offer(event)
        if history:
            self.floor = _key_id(history[-1].id)
        held, self.held = self.held or [], None
        for event in held:
            self.deliver(event)


class _RedisSubscription:
    def __init__(
        self, bus: RedisBus, topics: frozenset[str], last_event_id: str | None, size: int
    ) -> None:
        self._bus = bus
        self._entry = _Entry(Subscription(topics=topics, queue=asyncio.Queue(maxsize=size)))
        self._last_event_id = last_event_id

    async def __aenter__(self) -> Subscription:
        await self._bus.start()
        entry = self._entry
        if self._last_event_id is None:
            self._bus._add(entry)
            return entry.sub
        entry.held = []  # hold live events until history is delivered
        self._bus._add(entry)
        try:
            history, entry.sub.recovered = await self._bus.missed(
                entry.sub.topics, self._last_event_id
            )
        except BaseException:
            self._bus._remove(entry)
            raise
        entry.catch_up(history)
        return entry.sub

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bus._remove(self._entry)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
