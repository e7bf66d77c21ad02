"""Core's GET /metrics: deliveries and events by outcome, ingest latency, per app."""

from __future__ import annotations

import json

import httpx2
from starlette.applications import Starlette

from core_client import CoreClient, signing
from storage.app import create_app
from storage.settings import CoreSettings
from tests.support.core import d20_roll
from tests.support.metrics import scrape

EVENTS = "fumblebot_core_webhook_events_total"
DELIVERIES = "fumblebot_core_webhook_deliveries_total"


async def test_metrics_count_deliveries_and_events_by_outcome(
    core_client: CoreClient, core_http: httpx2.AsyncClient, webhook_secret: str
) -> None:
    roll = d20_roll(7)
    await core_client.deliver([roll, d20_roll(8)])
    await core_client.deliver([roll])  # a replay: one duplicate
    json_type = {"content-type": "application/json"}
    forged = await core_http.post("/webhooks", content=b'{"events": []}', headers=json_type)
    assert forged.status_code == 401
    bad = {"id": "evt-bad", "type": "roll.recorded", "occurred_at": 1e20, "data": {}}
    body = json.dumps({"events": [bad]}).encode()
    headers = signing.sign([webhook_secret], "msg-bad", body).as_dict() | json_type
    assert (await core_http.post("/webhooks", content=body, headers=headers)).status_code == 422
    samples = await scrape(core_http)
    assert samples[(EVENTS, "outcome=accepted,reason=")] == 2
    assert samples[(EVENTS, "outcome=duplicate,reason=")] == 1
    assert samples[(EVENTS, "outcome=refused,reason=occurred_at")] == 1
    assert samples[(DELIVERIES, "outcome=stored")] == 2
    assert samples[(DELIVERIES, "outcome=bad_signature")] == 1
    assert samples[(DELIVERIES, "outcome=invalid_body")] == 1
    assert samples[("fumblebot_core_ingest_seconds_count", "")] == 2


async def test_each_app_has_its_own_registry(
    core_app: Starlette, core_settings: CoreSettings, core_client: CoreClient
) -> None:
    await core_client.deliver([d20_roll(3)])
    other = create_app(core_settings)  # a second app in the same process
    async with other.router.lifespan_context(other):
        transport = httpx2.ASGITransport(app=other)
        async with httpx2.AsyncClient(transport=transport, base_url="http://other") as http:
            samples = await scrape(http)
    assert (EVENTS, "outcome=accepted,reason=") not in samples
    assert ("fumblebot_core_ingest_seconds_count", "") in samples
