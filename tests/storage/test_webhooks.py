"""Core's webhook endpoint against a real database (SQLite and PostgreSQL)."""

from __future__ import annotations

import time

import httpx2
import pytest
from starlette.applications import Starlette

from core_client import CoreClient, Event, EventType, Platform, RollRecord, signing
from core_client.contract import codec
from core_client.contract.events import encode_delivery
from core_client.contract.receipts import DeliveryReceipt
from core_client.errors import RecordError
from tests.support.core import WebhookEvent, count, stored_rolls

# Deliveries are JSON: Core refuses a body not declared as such with 415.
JSON = {"content-type": "application/json"}


def roll_event(total: int = 12) -> Event:
    record = RollRecord(platform=Platform.DISCORD, campaign_id="c1", formula="1d20", total=total)
    return Event(EventType.ROLL_RECORDED, codec.to_builtins(record))


async def test_signed_roll_is_stored(core_client: CoreClient, core_app: Starlette) -> None:
    receipt = await core_client.deliver([roll_event(17)])
    assert receipt == DeliveryReceipt(1, 0)
    rolls = await stored_rolls(core_app)
    assert [(r.formula, r.total, r.platform) for r in rolls] == [("1d20", 17.0, "discord")]


async def test_replayed_delivery_is_acknowledged_and_stored_once(
    core_client: CoreClient, core_app: Starlette
) -> None:
    event = roll_event()
    await core_client.deliver([event])
    assert await core_client.deliver([event]) == DeliveryReceipt(0, 1)
    assert await count(core_app, WebhookEvent) == 1
    assert len(await stored_rolls(core_app)) == 1


async def test_batch_with_a_known_event_stores_only_the_new_ones(
    core_client: CoreClient, core_app: Starlette
) -> None:
    first = roll_event(1)
    await core_client.deliver([first])
    receipt = await core_client.deliver([first, roll_event(2), roll_event(3)])
    assert receipt == DeliveryReceipt(2, 1)
    assert sorted(r.total for r in await stored_rolls(core_app)) == [1.0, 2.0, 3.0]


async def test_unsigned_delivery_is_refused_and_nothing_stored(
    core_http: httpx2.AsyncClient, core_app: Starlette
) -> None:
    response = await core_http.post(
        "/webhooks", content=encode_delivery([roll_event()]), headers=JSON
    )
    assert response.status_code == 401
    assert response.json()["error"]["code"] == "bad_signature"
    assert await count(core_app, WebhookEvent) == 0


async def test_forged_delivery_is_refused_and_nothing_stored(
    core_http: httpx2.AsyncClient, core_app: Starlette
) -> None:
    body = encode_delivery([roll_event()])
    forged = signing.sign([signing.generate_secret()], "msg_forged", body).as_dict() | JSON
    response = await core_http.post("/webhooks", content=body, headers=forged)
    assert response.status_code == 401
    assert "no signature matches" in response.json()["error"]["message"]
    assert await count(core_app, WebhookEvent) == 0


async def test_stale_timestamp_is_refused(
    core_http: httpx2.AsyncClient, core_app: Starlette, webhook_secret: str
) -> None:
    body = encode_delivery([roll_event()])
    stale = signing.sign([webhook_secret], "m1", body, timestamp=int(time.time()) - 600)
    response = await core_http.post("/webhooks", content=body, headers=stale.as_dict() | JSON)
    assert response.status_code == 401
    assert "from now" in response.json()["error"]["message"]
    assert await count(core_app, WebhookEvent) == 0


async def test_a_malformed_event_is_refused_alone_and_the_others_stored(
    core_http: httpx2.AsyncClient, core_app: Starlette, webhook_secret: str
) -> None:
    good = codec.to_builtins(roll_event(7))
    bad = codec.to_builtins(roll_event()) | {"data": {"platform": "discord", "formula": "1d20"}}
    body = _raw_delivery([bad, good])
    headers = signing.sign([webhook_secret], "m2", body).as_dict() | JSON
    response = await core_http.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 200
    assert response.json() == {
        "accepted": 1,
        "duplicates": 0,
        "refused": [
            {
                "index": 0,
                "id": bad["id"],
                "field": "campaign_id",
                "reason": "is required",
            }
        ],
    }
    assert [r.total for r in await stored_rolls(core_app)] == [7.0]
    assert await count(core_app, WebhookEvent) == 1  # the refused id stays free to resend


async def test_a_delivery_of_only_malformed_events_is_refused_naming_each(
    core_http: httpx2.AsyncClient, core_app: Starlette, webhook_secret: str
) -> None:
    bad = codec.to_builtins(roll_event()) | {"data": {"platform": "discord", "formula": "1d20"}}
    no_type = codec.to_builtins(roll_event()) | {"type": "roll.forged"}
    body = _raw_delivery([bad, no_type])
    headers = signing.sign([webhook_secret], "m2b", body).as_dict() | JSON
    response = await core_http.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("invalid_body", "campaign_id")
    assert [(r["index"], r["id"], r["field"]) for r in error["refused"]] == [
        (0, bad["id"], "campaign_id"),
        (1, no_type["id"], "events[1].type"),
    ]
    assert await count(core_app, WebhookEvent) == 0


async def test_a_lone_surrogate_is_refused_by_the_sdk_and_by_core(
    core_client: CoreClient, core_http: httpx2.AsyncClient, core_app: Starlette, webhook_secret: str
) -> None:
    # UTF-8 cannot carry a lone surrogate: the SDK refuses to encode it, and a
    # sender that escapes it anyway gets a 422 naming the field. The outbox then
    # splits the batch until the culprit is alone (test_outbox_isolation.py).
    bad = _with_formula("1d20\ud800")
    with pytest.raises(RecordError, match="surrogate"):
        await core_client.deliver([roll_event(1), bad])
    body = _raw_delivery([codec.to_builtins(roll_event(1)), codec.to_builtins(bad)])
    headers = signing.sign([webhook_secret], "m_sur", body).as_dict() | JSON
    response = await core_http.post("/webhooks", content=body, headers=headers)
    assert (response.status_code, response.json()["error"]["field"]) == (
        422,
        "events[1].data.formula",
    )
    assert await stored_rolls(core_app) == []


async def test_a_nul_is_refused_alone_alike_on_every_database(
    core_client: CoreClient, core_app: Starlette
) -> None:
    # PostgreSQL cannot store a NUL and SQLite can: the contract refuses it on
    # both, so the same input gets the same answer whatever the database.
    bad = _with_formula("1d20\x00")
    receipt = await core_client.deliver([roll_event(1), bad, roll_event(2)])
    assert (receipt.accepted, receipt.duplicates) == (2, 0)
    [refused] = receipt.refused
    assert (refused.index, refused.event_id, refused.field) == (1, bad.id, "formula")
    assert [r.total for r in await stored_rolls(core_app)] == [1.0, 2.0]


async def test_oversized_body_is_refused_before_verification(
    core_http: httpx2.AsyncClient, core_app: Starlette, webhook_secret: str
) -> None:
    body = b"x" * (1_048_576 + 1)
    headers = signing.sign([webhook_secret], "m3", body).as_dict() | JSON
    response = await core_http.post("/webhooks", content=body, headers=headers)
    assert response.status_code == 413
    assert response.json()["error"]["code"] == "body_too_large"


async def test_health_reports_database_and_migrations(core_http: httpx2.AsyncClient) -> None:
    response = await core_http.get("/health")
    assert response.status_code == 200
    report = response.json()
    assert report["database"] == "ok"
    assert report["migrations_current"] is True
    assert report["revision"] == report["head"]


def _with_formula(formula: str) -> Event:
    record = RollRecord(platform=Platform.DISCORD, campaign_id="c1", formula="1d20", total=3)
    return Event(EventType.ROLL_RECORDED, codec.to_builtins(record) | {"formula": formula})


def _raw_delivery(events: list[object]) -> bytes:
    import json

    return json.dumps({"events": events}).encode()
