"""The bridge over real HTTP: POST a roll, watch it arrive on SSE and in Core."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx2
import pytest
from starlette.applications import Starlette

from bridge.app import create_app
from bridge.settings import BridgeSettings
from core_client import Outbox
from tests.support.core import stored_rolls
from tests.support.servers import serve
from tests.support.sse import open_stream

ROLL = {
    "platform": "roll20",
    "formula": "2d20kh1+5",
    "total": 23,
    "source_message_id": "-Nabc",
    "actor_name": "Alice",
    "groups": [
        {
            "notation": "2d20kh1",
            "sides": 20,
            "dice": [{"sides": 20, "value": 18}, {"sides": 20, "value": 3, "kept": False}],
        }
    ],
}


SERVICE_KEY = "svc_bridge-test-key"
OTHER_KEY = "svc_another-key"


@pytest.fixture
async def bridge_url(outbox: Outbox) -> AsyncIterator[str]:
    settings = BridgeSettings(subscriber_queue=8, service_keys=(OTHER_KEY, SERVICE_KEY))
    app = create_app(settings, reporter=outbox)
    async with serve(app) as url:
        yield url


@pytest.fixture
async def http() -> AsyncIterator[httpx2.AsyncClient]:
    """A client sending a service key, as Core's tools and the CLI do."""
    headers = {"Authorization": f"Bearer {SERVICE_KEY}"}
    async with httpx2.AsyncClient(timeout=5, headers=headers) as client:
        yield client


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-key", f"Basic {SERVICE_KEY}", "Bearer", f"Bearer {SERVICE_KEY}x"],
)
async def test_v1_routes_refuse_a_missing_or_wrong_service_key(
    bridge_url: str, outbox: Outbox, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    async with httpx2.AsyncClient(timeout=5, headers=headers) as anonymous:
        posted = await anonymous.post(f"{bridge_url}/v1/campaigns/c1/rolls", json=ROLL)
        streamed = await anonymous.get(f"{bridge_url}/v1/campaigns/c1/events")
    for response in (posted, streamed):
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "unauthorized"
        assert response.headers["www-authenticate"].startswith("Bearer")
    assert outbox.pending == 0


async def test_v1_routes_refuse_everyone_when_no_service_key_is_configured(
    outbox: Outbox,
) -> None:
    app = create_app(BridgeSettings(), reporter=outbox)
    async with serve(app) as url, httpx2.AsyncClient(timeout=5) as client:
        for authorization in ("Bearer", "Bearer anything"):
            headers = {"Authorization": authorization}
            posted = await client.post(f"{url}/v1/campaigns/c1/rolls", json=ROLL, headers=headers)
            streamed = await client.get(f"{url}/v1/campaigns/c1/events", headers=headers)
            assert (posted.status_code, streamed.status_code) == (401, 401)
            assert posted.json()["error"]["code"] == "unauthorized"


async def test_every_configured_service_key_is_accepted(
    bridge_url: str, http: httpx2.AsyncClient
) -> None:
    headers = {"Authorization": f"Bearer {OTHER_KEY}"}
    response = await http.post(f"{bridge_url}/v1/campaigns/c1/rolls", json=ROLL, headers=headers)
    assert response.status_code == 202


def test_service_keys_stay_out_of_the_settings_repr() -> None:
    assert SERVICE_KEY not in repr(BridgeSettings(service_keys=(SERVICE_KEY,)))


async def test_posted_roll_reaches_every_subscriber_and_core(
    bridge_url: str, http: httpx2.AsyncClient, outbox: Outbox, core_app: Starlette
) -> None:
    events_url = f"{bridge_url}/v1/campaigns/c1/events"
    async with open_stream(http, events_url) as a, open_stream(http, events_url) as b:
        response = await http.post(f"{bridge_url}/v1/campaigns/c1/rolls", json=ROLL)
        assert response.status_code == 202
        got_a, got_b = await asyncio.gather(a.next(), b.next())
    assert got_a.event == got_b.event == "roll"
    assert got_a.id == got_b.id == response.json()["id"]
    assert got_a.json()["total"] == 23
    assert got_a.json()["campaign_id"] == "c1"
    assert a.retry == 3000
    assert await outbox.flush()
    [stored] = await stored_rolls(core_app)
    assert (stored.platform, stored.campaign_key, stored.total) == ("roll20", "c1", 23.0)
    assert [d["kept"] for d in stored.groups[0]["dice"]] == [True, False]


async def test_subscriber_sees_only_its_campaign(bridge_url: str, http: httpx2.AsyncClient) -> None:
    async with open_stream(http, f"{bridge_url}/v1/campaigns/c1/events") as stream:
        await http.post(f"{bridge_url}/v1/campaigns/other/rolls", json=ROLL)
        await http.post(f"{bridge_url}/v1/campaigns/c1/rolls", json=ROLL | {"total": 7})
        message = await stream.next()
    assert message.json()["total"] == 7


async def test_reconnect_with_last_event_id_resumes(
    bridge_url: str, http: httpx2.AsyncClient
) -> None:
    url = f"{bridge_url}/v1/campaigns/c1/events"
    async with open_stream(http, url) as stream:
        await http.post(f"{bridge_url}/v1/campaigns/c1/rolls", json=ROLL | {"total": 1})
        first = await stream.next()
    for total in (2, 3):
        await http.post(f"{bridge_url}/v1/campaigns/c1/rolls", json=ROLL | {"total": total})
    async with open_stream(http, url, headers={"Last-Event-ID": first.id or ""}) as stream:
        missed = [(await stream.next()).json()["total"] for _ in range(2)]
    assert missed == [2, 3]


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        (b"{not json", 400, "invalid_json"),
        (b'{"platform": "roll20", "formula": "1d20"}', 422, "invalid_roll"),
        (b'{"platform": "roll20", "formula": "1d20", "total": "x"}', 422, "invalid_roll"),
        (b"[1, 2]", 422, "invalid_roll"),
        (b'{"pad": "' + b"x" * 300_000 + b'"}', 413, "body_too_large"),
    ],
)
async def test_bad_rolls_get_a_clear_error_and_publish_nothing(
    bridge_url: str, http: httpx2.AsyncClient, outbox: Outbox, body: bytes, status: int, code: str
) -> None:
    async with open_stream(http, f"{bridge_url}/v1/campaigns/c1/events") as stream:
        response = await http.post(
            f"{bridge_url}/v1/campaigns/c1/rolls",
            content=body,
            headers={"content-type": "application/json"},
        )
        assert response.status_code == status
        assert response.json()["error"]["code"] == code
        await http.post(f"{bridge_url}/v1/campaigns/c1/rolls", json=ROLL | {"total": 99})
        assert (await stream.next()).json()["total"] == 99  # the bad one never arrived
    assert outbox.pending <= 1


async def test_health(bridge_url: str, http: httpx2.AsyncClient) -> None:
    response = await http.get(f"{bridge_url}/health")
    assert response.json() == {
        "service": "bridge",
        "ok": True,
        "bus": "InMemoryBus",
        "streams": 0,
    }
