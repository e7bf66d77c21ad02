"""Open the configured event bus and state store: in-process or Redis.

The composition root opens them once and hands the same pair to the bridge
app and to the bot, so both sides of the relay share one bus. With the
in-process bus the state (tokens, links, revocations) lives in a SQLite file
at `state_path`, so a restart logs no extension out; only tests, which pass
no path, keep it in memory. The Redis client (about 5 MiB) is imported only
when the settings name Redis: the in-process default never loads it (issue #16).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

from bridge.bus import EventBus, InMemoryBus
from bridge.settings import BridgeSettings
from bridge.store import MemoryStore, StateStore
from bridge.store_sqlite import SqliteStore


@dataclass(frozen=True, slots=True)
class Backends:
    """The bus and the short-lived state store of one process."""

    bus: EventBus
    store: StateStore


@contextlib.asynccontextmanager
async def open_backends(
    settings: BridgeSettings, state_path: str | Path | None = None
) -> AsyncIterator[Backends]:
    """Open the backends `settings.event_bus` names; close them on exit.

    `state_path` is the SQLite file of the in-process bus's state; without
    one (tests) the state lives in memory and is lost with the process.
    """
    if settings.event_bus == "redis":
        from redis.asyncio import Redis

        from bridge.bus_redis import RedisBus
        from bridge.store_redis import RedisStore

        redis = Redis.from_url(settings.redis_url, password=settings.redis_password)
        bus = RedisBus(
            redis,
            prefix=settings.redis_prefix,
            history_per_topic=settings.history_per_topic,
            history_seconds=settings.history_seconds,
        )
        try:
            await bus.start()
            yield Backends(bus, RedisStore(redis, prefix=f"{settings.redis_prefix}:state:"))
        finally:
            await bus.aclose()
            await redis.aclose()
        return
    memory = InMemoryBus(
        history_per_topic=settings.history_per_topic, history_seconds=settings.history_seconds
    )
    try:
        if state_path is None:
            yield Backends(memory, MemoryStore())
            return
        durable = await SqliteStore.open(state_path)
        try:
            yield Backends(memory, durable)
        finally:
            await durable.close()
    finally:
        await memory.aclose()
