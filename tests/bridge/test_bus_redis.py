"""The Redis Streams bus for real: two bridge instances on one Redis."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import AsyncIterator

import httpx2
import pytest
from redis.asyncio import Redis

from bridge.app import create_app
from bridge.bus_redis import RedisBus
from bridge.settings import BridgeSettings
from bridge.store_redis import RedisStore
from core_client import Outbox
from tests.bridge.conftest import SETTINGS, Bridge, Client, link
from tests.support.bus import numbers, publish_chats, read, read_to_end, take, texts
from tests.support.logs import watch
from tests.support.servers import serve
from tests.support.services import REDIS_URL

pytestmark = pytest.mark.redis


@pytest.fixture
async def bus(redis: Redis, prefix: str) -> AsyncIterator[RedisBus]:
    bus = RedisBus(redis, prefix=prefix, history_per_topic=5)
    yield bus
    await bus.aclose()


async def test_ids_are_ordered_across_topics_and_resume_spans_them(bus: RedisBus) -> None:
    ids = [(await bus.publish(f"t{i % 3}", "roll", {"n": i})).id for i in range(9)]
    assert ids == sorted(ids, key=lambda i: tuple(map(int, i.split("-"))))
    async with bus.subscribe(["t0", "t1", "t2"], last_event_id=ids[3]) as sub:
        got = await numbers(sub, 5)
        assert sub.recovered
        await bus.publish("t1", "roll", {"n": 9})
        live = await numbers(sub, 1)
    assert got == [4, 5, 6, 7, 8]
    assert live == [9]


async def test_a_lost_resume_point_is_not_recovered(bus: RedisBus) -> None:
    first = await bus.publish("t", "roll", {"n": 0})
    for i in range(1, 400):  # trimming is approximate (MAXLEN ~), so overflow it well
        await bus.publish("t", "roll", {"n": i})
    async with bus.subscribe(["t"], last_event_id=first.id, queue_size=1000) as sub:
        assert not sub.recovered
        [event] = await take(sub, 1, limit=1)
    assert event.data["n"] > 1


async def test_a_resume_point_past_the_time_window_resets(redis: Redis, prefix: str) -> None:
    now = [time.time()]
    bus = RedisBus(redis, prefix=prefix, clock=lambda: now[0])
    try:
        first = await bus.publish("t", "roll", {"n": 0})
        await bus.publish("t", "roll", {"n": 1})
        now[0] += 901  # both are past the 15 minutes now
        async with bus.subscribe(["t"], last_event_id=first.id) as sub:
            assert not sub.recovered
            await bus.publish("t", "roll", {"n": 2})
            assert await numbers(sub, 1) == [2]
    finally:
        await bus.aclose()


@dataclasses.dataclass
class Pair:
    a: Bridge
    b: Bridge


@pytest.fixture
def window() -> int:
    """The history per game of the pair (parametrize it to change it)."""
    return SETTINGS.history_per_topic


@pytest.fixture
def send_timeout() -> float:
    """How long the pair waits on a blocked client (parametrize it to change it)."""
    return SETTINGS.send_timeout


@pytest.fixture
async def pair(
    redis: Redis, prefix: str, outbox: Outbox, window: int, send_timeout: float
) -> AsyncIterator[Pair]:
    settings = dataclasses.replace(
        SETTINGS,
        event_bus="redis",
        redis_url=REDIS_URL,
        redis_prefix=prefix,
        history_per_topic=window,
        subscriber_queue=BridgeSettings().subscriber_queue,  # production's, far below 1,000
        send_timeout=send_timeout,
    )
    store = RedisStore(redis, prefix=f"{prefix}:state:")
    app_a = create_app(settings, reporter=outbox)
    app_b = create_app(settings, reporter=outbox)
    async with (
        serve(app_a) as url_a,
        serve(app_b) as url_b,
        httpx2.AsyncClient(timeout=5) as http,
    ):
        yield Pair(Bridge(url_a, store, http), Bridge(url_b, store, http))


def on(bridge: Bridge, client: Client) -> Client:
    """Return the same linked extension, talking to another instance."""
    return Client(bridge, client.token, client.grant)


async def test_every_event_reaches_the_clients_of_both_instances(pair: Pair) -> None:
    alice = await link(pair.a, "alice", platform="roll20")
    mira = await link(pair.a, "mira", platform="foundry")
    bob = on(pair.b, await link(pair.a, "bob", platform="owlbear"))
    async with mira.stream() as on_a, bob.stream() as on_b:
        for bridge in (pair.a, pair.b):
            await on(bridge, alice).post("/vtt/chat", {"game_id": "g1", "text": bridge.url})
        got_a = [await on_a.next() for _ in range(2)]
        got_b = [await on_b.next() for _ in range(2)]
    assert [m.id for m in got_a] == [m.id for m in got_b]
    assert [m.json()["chat"]["text"] for m in got_b] == [pair.a.url, pair.b.url]


async def test_a_client_moved_to_the_other_instance_resumes_with_no_loss(pair: Pair) -> None:
    alice = await link(pair.a, "alice", platform="roll20")
    mira = await link(pair.a, "mira", platform="foundry")
    async with mira.stream() as sse:
        await alice.post("/vtt/chat", {"game_id": "g1", "text": "before"})
        last = await sse.next()
    for i in range(3):
        bridge = pair.a if i % 2 else pair.b
        await on(bridge, alice).post("/vtt/chat", {"game_id": "g1", "text": f"missed {i}"})
    async with on(pair.b, mira).stream(last_event_id=last.id) as sse:
        missed = [(await sse.next()).json()["chat"]["text"] for _ in range(3)]
        await on(pair.a, alice).post("/vtt/chat", {"game_id": "g1", "text": "live"})
        live = await sse.next()
    assert missed == ["missed 0", "missed 1", "missed 2"]
    assert live.json()["chat"]["text"] == "live"


async def test_revocation_on_one_instance_closes_streams_on_the_other(pair: Pair) -> None:
    mira = await link(pair.a, "mira", platform="foundry")
    async with on(pair.b, mira).stream() as sse:
        response = await pair.a.http.delete(f"{pair.a.url}/vtt/accounts/link", headers=mira.auth)
        assert response.status_code == 200
        assert (await sse.next()).event == "stream.revoked"
    assert (await on(pair.b, mira).post("/vtt/stream-tickets", {})).status_code == 401


@pytest.mark.parametrize("window", [1000])
async def test_1000_missed_events_resume_on_the_other_instance_exactly_once(
    pair: Pair, redis: Redis, prefix: str, window: int
) -> None:
    publisher = RedisBus(redis, prefix=prefix, history_per_topic=window)  # a third instance
    try:
        mira = await link(pair.a, "mira", platform="foundry")
        async with mira.stream() as sse:
            await publish_chats(publisher, range(-1, 0))
            last = await sse.next()
        assert last.id
        await publish_chats(publisher, range(window))
        async with on(pair.b, mira).stream(last_event_id=last.id) as sse:
            got = await read(sse, window)
            await publish_chats(publisher, range(window, window + 1))
            got += await read(sse, 1)
    finally:
        await publisher.aclose()
    assert texts(got) == list(range(window + 1))
    assert len({m.id for m in got}) == window + 1
    assert all(m.event == "chat" for m in got)


@pytest.mark.parametrize(("window", "send_timeout"), [(1000, 0.5)])
async def test_a_slow_client_dropped_catches_up_on_the_other_instance(
    pair: Pair, redis: Redis, prefix: str, window: int
) -> None:
    publisher = RedisBus(redis, prefix=prefix, history_per_topic=window)
    try:
        mira = await link(pair.a, "mira", platform="foundry")
        with watch("bridge.eventstream", "dropping it") as dropped:
            async with mira.stream() as sse:
                # 20 MB, unread: a send waits on the full socket until dropped
                # (an unread socket's buffers stay well below that).
                await publish_chats(publisher, range(window), pad=20_000)
                await asyncio.wait_for(dropped.event.wait(), 10)
                received = await read_to_end(sse)
        assert 0 < len(received) < window
        assert received[-1].id
        async with on(pair.b, mira).stream(last_event_id=received[-1].id) as sse:
            rest = await read(sse, window - len(received))
            await publish_chats(publisher, range(window, window + 1))
            rest += await read(sse, 1)
    finally:
        await publisher.aclose()
    assert texts(received + rest) == list(range(window + 1))
    assert len({m.id for m in received + rest}) == window + 1
