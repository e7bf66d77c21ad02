"""Benchmark resuming a /vtt/stream: how long a replay takes, and what it holds.

Usage: `.venv/bin/python bench/bridge/resume.py [--bus memory redis] [--missed 100 1000]`

One process: the bridge on uvicorn (loopback) and one SSE client. For each bus
and each gap size N, one extension misses N chat events (published straight
on the bus), then resumes with `Last-Event-ID` and reads them all. Measured:
- replay time: from asking for a stream ticket to the resumed stream's N-th
  event, median of `--runs` (events/s as N over that);
- peak memory: in one more run, traced, tracemalloc's peak over the resume
  above what was allocated before it (server and client together: they
  share this process), to show that a replay holds a page, not the gap.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import statistics
import sys
import time
import tracemalloc
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import httpx2
import uvicorn
from redis.asyncio import Redis

sys.path.insert(0, str(Path(__file__).resolve().parent))
from server import DiscardingReporter

from bridge.app import create_app
from bridge.bus import EventBus, InMemoryBus
from bridge.bus_redis import RedisBus
from bridge.events import CHAT, Origin, chat_event, game_topic
from bridge.pairing import create_pairing_code
from bridge.settings import BridgeSettings
from bridge.store import MemoryStore

REDIS_URL = "redis://127.0.0.1:6379/15"
SETTINGS = BridgeSettings(rate_per_second=1e6, rate_burst=10**6, link_rate_burst=100)


@asynccontextmanager
async def bridge(bus: EventBus, store: MemoryStore) -> AsyncIterator[httpx2.AsyncClient]:
    """Serve a bridge on a free loopback port; yield a client for it."""
    app = create_app(SETTINGS, reporter=DiscardingReporter(), bus=bus, store=store)
    config = uvicorn.Config(app, host="127.0.0.1", port=0, log_level="warning", lifespan="on")
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        async with httpx2.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as http:
            yield http
    finally:
        server.should_exit = True
        await task


async def resume(http: httpx2.AsyncClient, token: str, last_id: str, count: int) -> None:
    """Open a resumed stream and read `count` events from it."""
    auth = {"Authorization": f"Bearer {token}"}
    ticket = (await http.post("/vtt/stream-tickets", headers=auth)).json()["ticket"]
    headers = {"Last-Event-ID": last_id}
    seen = 0
    async with http.stream("GET", f"/vtt/stream?ticket={ticket}", headers=headers) as response:
        async for line in response.aiter_lines():
            seen += line.startswith("id:")
            if seen == count:
                return


async def measure(bus: EventBus, missed: int, runs: int) -> dict[str, float]:
    """Return the median replay time and the peak memory of resuming `missed` events."""
    store = MemoryStore()
    async with bridge(bus, store) as http:
        code = await create_pairing_code(store, "mira", "c1", ["g1"], user_name="Mira", ttl=600.0)
        body = {"code": code.code, "platform": "foundry", "player_id": "bench"}
        token = (await http.post("/vtt/accounts/link", json=body)).json()["token"]
        topic, origin = game_topic("c1", "g1"), Origin("roll20", "alice", "Alice")
        times, peaks = [], []
        for run in range(runs + 1):
            data = [chat_event("c1", "g1", origin, speaker="A", text=str(i)) for i in range(missed)]
            first = await bus.publish(topic, CHAT, data[0])
            for event in data:
                await bus.publish(topic, CHAT, event)
            traced = run == runs  # one more run, traced: tracemalloc slows everything
            if traced:
                tracemalloc.start()
                before = tracemalloc.get_traced_memory()[0]
            start = time.perf_counter()
            await resume(http, token, first.id, missed)
            if not traced:
                times.append(time.perf_counter() - start)
                continue
            peaks.append(tracemalloc.get_traced_memory()[1] - before)
            tracemalloc.stop()
    median = statistics.median(times)
    return {
        "replay_ms": round(median * 1000, 1),
        "events_per_s": round(missed / median),
        "peak_kib": round(peaks[0] / 1024),
    }


async def main(buses: list[str], sizes: list[int], runs: int) -> None:
    """Print one JSON line per bus and gap size."""
    # A run's closed stream may still be subscribed when the next run publishes
    # its gap, and is then cut off for lagging: expected, and not measured.
    logging.getLogger("bridge.streams").setLevel(logging.ERROR)
    for kind in buses:
        for missed in sizes:
            redis = Redis.from_url(REDIS_URL) if kind == "redis" else None
            prefix = f"bench-{uuid.uuid4().hex[:8]}"
            bus: InMemoryBus | RedisBus = (
                InMemoryBus(history_per_topic=max(sizes) + 1)
                if redis is None
                else RedisBus(redis, prefix=prefix, history_per_topic=max(sizes) + 1)
            )
            figures = await measure(bus, missed, runs)
            await bus.aclose()
            if redis is not None:
                keys = [k async for k in redis.scan_iter(match=f"{{{prefix}}}*")]
                if keys:
                    await redis.delete(*keys)
                await redis.aclose()
            print(json.dumps({"bus": kind, "missed": missed, **figures}), flush=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--bus", nargs="+", default=["memory", "redis"])
    parser.add_argument("--missed", nargs="+", type=int, default=[100, 1000])
    parser.add_argument("--runs", type=int, default=5)
    args = parser.parse_args()
    asyncio.run(main(args.bus, args.missed, args.runs))
