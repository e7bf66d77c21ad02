"""The Redis Streams backend of the event bus, for several bridge instances.

Every publish runs one Lua script that appends the event, under one id, to
two streams: the topic's own stream (its history, for resume) and the
instance-wide firehose (for live delivery). Ids are `<ms>-<n>` where `ms` is
Redis's clock (never going back) and `n` a global counter, so ids are totally
ordered across all topics: resuming every topic of a subscription after one
SSE id misses nothing, on any instance.

Each bus instance runs one reader task that XREADs the firehose and offers
events to local subscribers by topic (one Redis connection per instance, not
per client). A subscriber resuming with `Last-Event-ID` joins the live
fan-out at the reader's position (the live cursor) and replays the topic
streams after its id up to that cursor with XRANGE, a page at a time as the
client drains, while live events wait in its bounded queue (`bridge.bus`
has the protocol); then it switches to live without gaps or repeats.

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
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, field
from types import TracebackType
from typing import Any

from redis.asyncio import Redis
from redis.exceptions import RedisError, ResponseError

from bridge.bus import BusEvent, SubscriberLaggingError, Subscribers, Subscription
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


Key = tuple[int, int]  # a stream id as (ms, n), ordered as Redis orders ids
Info = Mapping[str, Any]  # XINFO STREAM's reply


def _key_id(event_id: str) -> Key:
    ms, _, seq = event_id.partition("-")
    return int(ms), int(seq or 0)


def _id(key: Key) -> str:
    return f"{key[0]}-{key[1]}"


def _kept_from(info: Info) -> Key:
    """Return the oldest id a topic stream still holds (its last id when empty)."""
    first = info.get("first-entry")
    return _key_id(_text(first[0]) if first else _text(info.get("last-generated-id", "0-0")))


def _trimmed_after(info: Info, after: Key) -> bool:
    """Return whether trimming may have removed entries newer than `after`.

    Trimmed entries are the oldest ones, so none newer than `after` can be
    gone while `after` is at or past the first entry kept. Before it, some
    may be (it cannot be told apart), so this errs on the side of "lost".
    """
    if int(info.get("entries-added", 0)) <= int(info.get("length", 0)):
        return False
    return after < _kept_from(info)


def _info(reply: object) -> Info | None:
    """Return an XINFO STREAM reply from a pipeline, None for a missing stream."""
    if isinstance(reply, ResponseError):
        return None  # no such stream
    if isinstance(reply, Exception):
        raise reply
    assert isinstance(reply, Mapping)
    return reply


def _entries(reply: object) -> list[tuple[Any, Any]]:
    """Return the entries of an XRANGE reply from a pipeline."""
    if isinstance(reply, Exception):
        raise reply
    assert reply is None or isinstance(reply, list)
    return reply or []


def valid_id(event_id: str) -> bool:
    """Return whether a string is a stream id `<ms>-<n>`."""
    ms, dash, seq = event_id.partition("-")
    return (
        len(event_id) < 42 and event_id.isascii() and ms.isdigit() and (not dash or seq.isdigit())
    )


@dataclass(slots=True)
class ResumePoint:
    """Where a replay starts, and what each topic had lost by then.

    `start` is the client's id, or the time window's edge if that is later;
    an id never issued (invalid, or ahead of the newest) starts at the oldest
    event kept. A topic's floor is what it had already lost (its oldest id
    kept, the start at least), so a later page tells a new loss from an old
    one, which `recovered` (and the `stream.reset` it causes) covered.
    """

    sent: Key  # the client's id; (0, 0) for one never issued
    start: Key
    recovered: bool
    floors: dict[str, Key] = field(default_factory=dict)


class RedisBus:
    """The EventBus on Redis Streams; share one Redis and prefix across instances."""

    def __init__(
        self,
        redis: Redis,
        *,
        prefix: str = "fb:bridge",
        history_per_topic: int = 1000,
        history_seconds: float = 900.0,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._redis = redis
        # Ids carry Redis's clock; this one (injectable for tests) places the
        # time window's edge and stamps events.
        self._clock = clock
        self._tag = "{" + prefix + "}"
        self._history_size = history_per_topic
        self._history_ms = int(history_seconds * 1000)
        self._publish = redis.register_script(_PUBLISH)
        self._subscribers = Subscribers()
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
        at = self._clock()
        body = codec.encode(BusEntry(type, dict(data), at, origin)).decode()
        keys = [self._stream(topic), self._firehose, self._key("lastms"), self._key("seq")]
        args: list[str | int] = [self._history_size, body, self._history_ms, FIREHOSE_MAXLEN, topic]
        event_id = _text(await self._publish(keys=keys, args=args))
        return BusEvent(event_id, topic, type, dict(data), origin, at)

    def subscribe(
        self,
        topics: Iterable[str],
        *,
        last_event_id: str | None = None,
        queue_size: int = 256,
        on_event: Callable[[BusEvent], None] | None = None,
    ) -> _RedisSubscription:
        """Subscribe to topics, first replaying what came after `last_event_id`.

        With `on_event`, each live event is handed to it by the reader
        instead of being queued.
        """
        sub = _RedisSubscription(self, frozenset(topics), last_event_id, queue_size)
        sub._sub.on_event = on_event
        return sub

    async def resume_point(self, topics: frozenset[str], last_event_id: str) -> ResumePoint:
        """Return where a replay after `last_event_id` starts, and whether none is lost."""
        after = _key_id(last_event_id) if valid_id(last_event_id) else None
        cut = (int(self._clock() * 1000) - self._history_ms, 0)
        ordered = sorted(topics)
        pipe = self._redis.pipeline(transaction=False)
        pipe.get(self._key("lastms"))
        pipe.get(self._key("seq"))
        for topic in ordered:
            pipe.xinfo_stream(self._stream(topic))
            # Older than the window counts as lost, even while MINID ~ keeps it.
            since = "(" + _id(after or (0, 0))
            pipe.xrange(self._stream(topic), min=since, max="(" + _id(cut), count=1)
        lastms, seq, *replies = await pipe.execute(raise_on_error=False)
        if after is not None and after > (int(lastms or 0), int(seq or 0)):
            after = None  # ahead of the newest id: never issued
        sent = after or (0, 0)
        point = ResumePoint(sent=sent, start=max(sent, cut), recovered=after is not None)
        for topic, info_reply, stale in zip(ordered, replies[::2], replies[1::2], strict=True):
            info = _info(info_reply)
            if info is None:  # nothing kept: lost only if outside the window
                point.recovered = point.recovered and sent >= cut
                point.floors[topic] = point.start
            else:
                lost = bool(_entries(stale)) or _trimmed_after(info, sent)
                point.recovered = point.recovered and not lost
                point.floors[topic] = max(point.start, _kept_from(info))
        return point

    def position(self) -> str | None:
        """Return the id of the newest firehose entry dispatched; None before the reader starts."""
        # The reader sets it before dispatching each entry, with no await between.
        return self._position if valid_id(self._position) else None

    async def page(
        self, topics: frozenset[str], after: Key, upto: Key, limit: int
    ) -> tuple[list[tuple[Key, str, Any]], dict[str, Info | None]]:
        """Return the first `limit` raw entries with `after < id <= upto`, and each XINFO.

        XINFO is read after XRANGE, so a trim that removed an entry this
        page should have had shows in it.
        """
        ordered = sorted(topics)
        pipe = self._redis.pipeline(transaction=False)
        for topic in ordered:
            pipe.xrange(self._stream(topic), min="(" + _id(after), max=_id(upto), count=limit)
        for topic in ordered:
            pipe.xinfo_stream(self._stream(topic))
        replies = await pipe.execute(raise_on_error=False)
        found = [
            (_key_id(_text(raw_id)), topic, fields)
            for topic, reply in zip(ordered, replies, strict=False)
            for raw_id, fields in _entries(reply)
        ]
        infos = {t: _info(r) for t, r in zip(ordered, replies[len(ordered) :], strict=True)}
        return sorted(found, key=lambda f: f[0])[:limit], infos

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
        for sub in self._subscribers.all():
            sub.close()
        self._subscribers.clear()

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
        event = self.decode(topic, raw_id, fields)
        if event is None:
            return
        for sub in tuple(self._subscribers.get(topic)):
            sub.offer(event)

    def decode(self, topic: str, raw_id: Any, fields: Mapping[Any, Any]) -> BusEvent | None:
        """Return the event of a stream entry; None (logged) for a malformed one."""
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

    def _add(self, sub: Subscription) -> Key:
        """Add a subscriber to the live fan-out; return the live cursor it joined at."""
        self._subscribers.add(sub)
        # The reader sets its position before dispatching each event, with no
        # await between: everything newer than this reaches `sub` live.
        return _key_id(self._position) if valid_id(self._position) else (0, 0)

    def _remove(self, sub: Subscription) -> None:
        self._subscribers.discard(sub)


class _RedisReplay:
    """A page-at-a-time read of the topic streams, from an id to the live cursor."""

    def __init__(self, bus: RedisBus, topics: frozenset[str], upto: Key) -> None:
        self._bus = bus
        self._topics = topics
        self._upto = upto
        self._after: Key = (0, 0)  # where the next page starts
        self._sent: Key = (0, 0)  # the newest id the client has
        self._floors: dict[str, Key] = dict.fromkeys(topics, (0, 0))

    async def start(self, last_event_id: str) -> bool:
        """Place the replay after `last_event_id`; return whether nothing after it is lost."""
        point = await self._bus.resume_point(self._topics, last_event_id)
        self._after, self._sent, self._floors = point.start, point.sent, point.floors
        return point.recovered

    async def page(self, limit: int) -> list[BusEvent]:
        try:
            while True:
                upto = self._upto
                found, infos = await self._bus.page(self._topics, self._after, upto, limit)
                self._check(infos)
                if found:
                    self._after = self._sent = found[-1][0]
                events = [self._bus.decode(t, _id(key), f) for key, t, f in found]
                # Go on past a page of malformed entries, or a cursor moved meanwhile.
                if (not found and upto == self._upto) or any(events):
                    return [e for e in events if e is not None]
        except (RedisError, OSError) as exc:
            log.warning("Redis bus replay failed (%s); ending the stream to resume", exc)
            raise SubscriberLaggingError from exc

    def _check(self, infos: Mapping[str, Info | None]) -> None:
        for topic, info in infos.items():
            # A stream gone entirely expired at twice the window: nothing to lose.
            if info is not None and _trimmed_after(info, max(self._after, self._floors[topic])):
                raise SubscriberLaggingError

    def extend(self, event: BusEvent) -> None:
        self._upto = max(self._upto, _key_id(event.id))

    def covers(self, event: BusEvent) -> bool:
        return _key_id(event.id) <= self._sent


class _RedisSubscription:
    def __init__(
        self, bus: RedisBus, topics: frozenset[str], last_event_id: str | None, size: int
    ) -> None:
        self._bus = bus
        self._sub = Subscription(topics=topics, queue=asyncio.Queue(maxsize=size))
        self._last_event_id = last_event_id

    async def __aenter__(self) -> Subscription:
        await self._bus.start()
        sub = self._sub
        upto = self._bus._add(sub)
        if self._last_event_id is None:
            return sub
        # Set before the first await, so the queue filling meanwhile extends it.
        replay = _RedisReplay(self._bus, sub.topics, upto)
        sub.replay = replay
        try:
            sub.recovered = await replay.start(self._last_event_id)
        except BaseException:
            self._bus._remove(sub)
            raise
        return sub

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self._bus._remove(self._sub)


def _text(value: object) -> str:
    return value.decode() if isinstance(value, bytes) else str(value)
