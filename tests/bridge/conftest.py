"""A bridge on a real uvicorn with its bus and store in reach, and linked clients."""

from __future__ import annotations

import time
import uuid
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass

import httpx2
import pytest
from redis.asyncio import Redis
from redis.exceptions import RedisError
from starlette.applications import Starlette

from bridge.app import create_app
from bridge.bus import InMemoryBus
from bridge.bus_redis import RedisBus
from bridge.pairing import create_pairing_code
from bridge.settings import BridgeSettings
from bridge.store import MemoryStore, StateStore
from core_client import Outbox
from tests.support.servers import serve
from tests.support.services import REDIS_URL, unavailable
from tests.support.sse import SSEStream, open_stream


@dataclass
class Bridge:
    url: str
    store: StateStore
    http: httpx2.AsyncClient
    memory_bus: InMemoryBus | None = None
    app: Starlette | None = None

    @property
    def bus(self) -> InMemoryBus:
        assert self.memory_bus is not None, "this bridge runs on Redis"
        return self.memory_bus

    @property
    def memory_store(self) -> MemoryStore:
        assert isinstance(self.store, MemoryStore)
        return self.store


@dataclass
class Client:
    """A linked extension: its token and grant as the link answered them."""

    bridge: Bridge
    token: str
    grant: dict[str, object]

    @property
    def auth(self) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.token}"}

    async def post(self, path: str, body: object) -> httpx2.Response:
        return await self.bridge.http.post(self.bridge.url + path, json=body, headers=self.auth)

    @asynccontextmanager
    async def stream(
        self, last_event_id: str | None = None, *, in_query: bool = False
    ) -> AsyncIterator[SSEStream]:
        ticket = (await self.post("/vtt/stream-tickets", {})).json()["ticket"]
        headers = {"Last-Event-ID": last_event_id} if last_event_id and not in_query else None
        url = f"{self.bridge.url}/vtt/stream?ticket={ticket}"
        if last_event_id and in_query:
            url += f"&last_event_id={last_event_id}"
        async with open_stream(self.bridge.http, url, headers=headers) as sse:
            yield sse


SETTINGS = BridgeSettings(
    subscriber_queue=64,
    cors_origins=("https://app.roll20.net",),
    heartbeat_seconds=15,
    history_per_topic=5,
)


@pytest.fixture
def bridge_settings() -> BridgeSettings:
    return SETTINGS


@pytest.fixture
async def bridge(outbox: Outbox, bridge_settings: BridgeSettings) -> AsyncIterator[Bridge]:
    bus = InMemoryBus(history_per_topic=bridge_settings.history_per_topic)
    store = MemoryStore()
    app = create_app(bridge_settings, reporter=outbox, bus=bus, store=store)
    async with serve(app) as url, httpx2.AsyncClient(timeout=5) as http:
        yield Bridge(url, store, http, bus, app)
    await bus.aclose()


async def link(
    bridge: Bridge,
    user: str,
    *,
    platform: str = "roll20",
    games: Sequence[str] = ("g1",),
    gm: bool = False,
    store: StateStore | None = None,
) -> Client:
    """Run /link for a user and redeem the code as their extension would."""
    code = await create_pairing_code(
        store or bridge.store, user, "c1", games, user_name=user.title(), gm=gm, ttl=600.0
    )
    body = {"code": code.code, "platform": platform, "player_id": f"{platform}-{user}"}
    response = await bridge.http.post(f"{bridge.url}/vtt/accounts/link", json=body)
    assert response.status_code == 201, response.text
    data = response.json()
    return Client(bridge, data.pop("token"), data)


@asynccontextmanager
async def open_redis() -> AsyncIterator[Redis]:
    """Connect to the test Redis, or skip the test when it is not running."""
    client = Redis.from_url(REDIS_URL)
    try:
        await client.ping()
    except (RedisError, OSError) as exc:
        await client.aclose()
        unavailable(f"Redis at {REDIS_URL}", exc)
    try:
        yield client
    finally:
        await client.aclose()


@asynccontextmanager
async def scratch_prefix(redis: Redis) -> AsyncIterator[str]:
    """Yield a fresh key prefix, and delete its keys afterwards."""
    name = f"fbtest-{uuid.uuid4().hex[:10]}"
    try:
        yield name
    finally:
        keys = [k async for k in redis.scan_iter(match=f"{{{name}}}*")]
        keys += [k async for k in redis.scan_iter(match=f"{name}:*")]
        if keys:
            await redis.delete(*keys)


@pytest.fixture
async def redis() -> AsyncIterator[Redis]:
    async with open_redis() as client:
        yield client


@pytest.fixture
async def prefix(redis: Redis) -> AsyncIterator[str]:
    async with scratch_prefix(redis) as name:
        yield name


class Buses:
    """Makes buses of one kind; on Redis they share a fresh prefix, as instances do."""

    def __init__(self, redis: Redis | None = None, prefix: str = "") -> None:
        self.redis = redis
        self.prefix = prefix
        self._made: list[InMemoryBus | RedisBus] = []

    def make(
        self, *, history: int = 1000, clock: Callable[[], float] = time.time
    ) -> InMemoryBus | RedisBus:
        bus: InMemoryBus | RedisBus
        if self.redis is None:
            bus = InMemoryBus(history_per_topic=history, clock=clock)
        else:
            bus = RedisBus(self.redis, prefix=self.prefix, history_per_topic=history, clock=clock)
        self._made.append(bus)
        return bus

    async def aclose(self) -> None:
        for bus in self._made:
            await bus.aclose()


@pytest.fixture(params=["memory", pytest.param("redis", marks=pytest.mark.redis)])
async def buses(request: pytest.FixtureRequest) -> AsyncIterator[Buses]:
    """Make buses of each kind in turn, closed after the test."""
    if request.param == "memory":
        made = Buses()
        yield made
        await made.aclose()
        return
    async with open_redis() as client, scratch_prefix(client) as name:
        made = Buses(client, name)
        yield made
        await made.aclose()
