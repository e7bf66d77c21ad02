"""Core's webhook endpoint against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import httpx
from starlette.applications import Starlette

from core_client import CoreClient, Event, EventType, Platform, RollRecord, signing
from core_client.contract import codec
from core_client.contract.events import encode_delivery
from tests.support.core import WebhookEvent, count, stored_rolls


def roll_event(total: int = 12) -> Event:
    record = RollRecord(platform=Platform.DISCORD, campaign_id="c1", formula="1d20", total=total)
    return Event(EventType.ROLL_RECORDED, codec.to_builtins(record))


async def test_signed_roll_is_stored(core_client: CoreClient, core_app: Starlette) -> None:
    receipt = await core_client.deliver([roll_event(17)])
    assert receipt == {"accepted": 1, "duplicates": 0}
    rolls = await stored_rolls(core_app)
    assert [(r.formula, r.total, r.platform) for r in rolls] == [("1d20", 17.0, "discord")]


async def test_replayed_delivery_is_acknowledged_and_stored_once(
    core_client: CoreClient, core_app: Starlette
) -> None:
    event = roll_event()
    await core_client.deliver([event])
    assert await core_client.deliver([event]) == {"accepted": 0, "duplicates": 1}
    assert await count(core_app, WebhookEvent) == 1
    assert len(await stored_rolls(core_app)) == 1


async def test_batch_with_a_known_event_stores_only_the_new_ones(
    core_client: CoreClient, core_app: Starlette
) -> None:
    first = roll_event(1)
    await core_client.deliver([first])
    receipt = await core_client.deliver([first, roll_event(2), roll_event(3)])
    assert receipt == {"accepted": 2, "duplicates": 1}
    assert sorted(r.total for r in await stored_rolls(core_app)) == [1.0, 2.0, 3.0]


async def test_unsigned_delivery_is_refused_and_nothing_stored(
    core_http: httpx.AsyncClient, core_app: Starlette
) -> None:
    response = await core_http.post("/webhooks", content=encode_delivery([roll_event()]))
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert await count(core_app, WebhookEvent) == 0


async def test_forged_delivery_is_refused_and_nothing_stored(
    core_http: httpx.AsyncClient, core_app: Starlette
) -> None:
    body = encode_delivery([roll_event()])
    forged = signing.sign([signing.generate_secret()], "msg_forged", body).as_dict()
    response = await core_http.post("/webhooks", content=body, headers=forged)
    assert response.status_code == 401
    assert "no signature matches" in response.json()["error"]["message"]
    assert await count(core_app, WebhookEvent) == 0


async def test_stale_timestamp_is_refused(
    core_http: httpx.AsyncClient, core_app: Starlette, webhook_secret: str
) -> None:
    body = encode_delivery([roll_event()])
    stale = signing.sign([webhook_secret], "m1", body, timestamp=int(time.time()) - 600)
    response = await core_http.post("/webhooks", content=body, headers=stale.as_dict())
    assert response.status_code == 401
    assert "from now" in response.json()["error"]["message"]
    assert await count(core_app, WebhookEvent) == 0


async def test_malformed_event_refuses_the_whole_delivery(
    core_http: httpx.AsyncClient, core_app: Starlette, webhook_secret: str
) -> None:
    good = codec.to_builtins(roll_event())
    bad = codec.to_builtins(roll_event()) | {"data": {"platform": "discord", "formula": "1d20"}}
    body = _raw_delivery([good, bad])
    headers = signing.sign([webhook_secret], "m2", body).as_dict()
    response = await core_http.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "campaign_id"
    assert await count(core_app, WebhookEvent) == 0


async def test_oversized_body_is_refused_before_verification(
    core_http: httpx.AsyncClient, core_app: Starlette, webhook_secret: str
) -> None:
    body = b"x" * (1_048_576 + 1)
    headers = signing.sign([webhook_secret], "m3", body).as_dict()
    response = await core_http.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


async def test_health_reports_database_and_migrations(core_http: httpx.AsyncClient) -> None:
    response = await core_http.get("/health")
    assert response.status_code == 200
    report = response.json()
    assert report["database"] == "ok"
    assert report["migrations_current"] is True
    assert report["revision"] == report["head"]


def _raw_delivery(events: list[object]) -> bytes:
    import json

    return json.dumps({"events": events}).encode()
