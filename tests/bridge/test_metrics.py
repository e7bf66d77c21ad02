"""The bridge's GET /metrics: open SSE streams and the events delivered on them."""

from __future__ import annotations

import asyncio

from tests.bridge.conftest import Bridge, link
from tests.support.metrics import scrape

CONNECTIONS = ("fumblebot_bridge_sse_connections", "")
DELIVERIES = ("fumblebot_bridge_sse_deliveries_total", "")


async def test_metrics_count_open_streams_and_deliveries(bridge: Bridge) -> None:
    metrics_url = f"{bridge.url}/metrics"
    before = await scrape(bridge.http, metrics_url)
    assert before[CONNECTIONS] == 0
    assert before[DELIVERIES] == 0
    alice = await link(bridge, "alice", platform="roll20")
    mira = await link(bridge, "mira", platform="foundry")
    async with mira.stream() as one, mira.stream() as two:
        assert (await scrape(bridge.http, metrics_url))[CONNECTIONS] == 2
        said = await alice.post("/vtt/chat", {"game_id": "g1", "text": "hello"})
        assert said.status_code == 202
        await one.next()
        await two.next()
        assert (await scrape(bridge.http, metrics_url))[DELIVERIES] == 2
    # The server sees a client go only when its stream task ends: wait for it.
    for _ in range(200):
        after = await scrape(bridge.http, metrics_url)
        if after[CONNECTIONS] == 0:
            break
        await asyncio.sleep(0.02)
    assert after[DELIVERIES] == 2
    assert after[CONNECTIONS] == 0
