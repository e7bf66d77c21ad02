"""The service's GET /metrics: AI tokens by provider, the outbox, and the bridge's streams."""

from __future__ import annotations

from pathlib import Path

import httpx2
import pytest

from bot.service_app import create_service_app
from bridge.app import create_app as create_bridge_app
from bridge.settings import BridgeSettings
from core_client import CoreClient, Outbox
from tests.bot.conftest import SERVICE_KEY
from tests.emulators.llm_script import Answer
from tests.emulators.openai_api import OpenAIEmulator
from tests.support.core import d20_roll
from tests.support.metrics import scrape

KEY = SERVICE_KEY


@pytest.fixture
async def service(metered_service: httpx2.AsyncClient) -> httpx2.AsyncClient:
    return metered_service


async def test_metrics_count_ai_tokens_by_provider_and_read_the_outbox(
    service: httpx2.AsyncClient,
    core_client: CoreClient,
    outbox: Outbox,
    openai_emulator: tuple[OpenAIEmulator, str],
) -> None:
    emulator, _ = openai_emulator
    campaign = await core_client.create_campaign(name="Metrics")
    emulator.queue(Answer("Hello.", prompt_tokens=40, completion_tokens=6))
    asked = await service.post(
        "/ai/chat",
        json={"campaign_id": campaign["id"], "question": "Hi?"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert asked.status_code == 200, asked.text
    samples = await scrape(service)
    assert samples[("fumblebot_ai_tokens_total", "kind=prompt,provider=openai")] == 40
    assert samples[("fumblebot_ai_tokens_total", "kind=completion,provider=openai")] == 6
    assert samples[("fumblebot_outbox_dead_letters", "")] == 0
    assert ("fumblebot_bridge_sse_connections", "") in samples  # the mounted bridge's
    assert await outbox.flush()
    await outbox.put(d20_roll(4))
    depth = (await scrape(service))[("fumblebot_outbox_events", "")]
    assert depth == (await outbox.status()).count


async def test_health_shows_the_outbox_backlog_and_fails_when_core_falls_behind(
    tmp_path: Path, outbox: Outbox
) -> None:
    async with httpx2.AsyncClient() as http:
        # Nothing listens on port 9: every delivery fails and the queue grows.
        nowhere = CoreClient("http://127.0.0.1:9", http, signing_secrets=[])
        path = tmp_path / "stuck.sqlite3"
        async with Outbox(path, nowhere.deliver, max_events=10, warn_ratio=0.5) as stuck:
            bridge = create_bridge_app(BridgeSettings(), reporter=stuck)
            app = create_service_app(bridge, ai=None, core=None, api_keys=(), outbox=stuck)  # type: ignore[arg-type]
            async with app.router.lifespan_context(app):
                transport = httpx2.ASGITransport(app=app)
                async with httpx2.AsyncClient(transport=transport, base_url="http://s") as client:
                    healthy = await client.get("/health")
                    for value in range(5):
                        await stuck.put(d20_roll(value + 1))
                    behind = await client.get("/health")
    assert healthy.status_code == 200, healthy.text
    assert healthy.json()["outbox"]["queued"] == 0
    assert behind.status_code == 503
    report = behind.json()
    assert report["service"] == "bridge"
    assert report["outbox"]["queued"] == 5
    assert report["outbox"]["backlogged"] is True
