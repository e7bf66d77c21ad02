"""`POST /ai/chat`: Core asks the AI through the same pipeline as `/ask`."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import httpx2
import pytest

from bot.ai import AIService
from bot.service_app import MAX_BODY, create_service_app
from bridge.app import create_app as create_bridge_app
from bridge.settings import BridgeSettings
from core_client import CoreClient, Outbox
from tests.bridge.conftest import Bridge, link
from tests.emulators.llm_script import Answer
from tests.emulators.openai_api import OpenAIEmulator
from tests.support.bad_bodies import JSON, BadBody, assert_refusal, bad_bodies
from tests.support.bus import publish_chats, read, texts
from tests.support.servers import serve

KEY = "service-key-for-tests"


@pytest.fixture
async def service(
    outbox: Outbox, ai: AIService, core_client: CoreClient
) -> AsyncIterator[httpx2.AsyncClient]:
    bridge = create_bridge_app(BridgeSettings(), reporter=outbox)
    app = create_service_app(bridge, ai=ai, core=core_client, api_keys=(KEY,))
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://service") as client:
            yield client


async def test_ai_chat_answers_from_the_campaign_and_counts_tokens(
    service: httpx2.AsyncClient,
    core_client: CoreClient,
    openai_emulator: tuple[OpenAIEmulator, str],
) -> None:
    emulator, _ = openai_emulator
    campaign = await core_client.create_campaign(name="Wildemount")
    emulator.queue(Answer("It is set in Wildemount.", prompt_tokens=40, completion_tokens=6))
    response = await service.post(
        "/ai/chat",
        json={"campaign_id": campaign["id"], "question": "Where are we?"},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert response.status_code == 200, response.text
    body = response.json()
    assert body["answer"] == "It is set in Wildemount."
    assert body["usage"] == {"prompt_tokens": 40, "completion_tokens": 6, "total_tokens": 46}
    assert "Wildemount" in str(emulator.calls[0].body["messages"])


@pytest.mark.parametrize(
    ("headers", "body", "status", "code"),
    [
        ({}, {"campaign_id": "x", "question": "q"}, 401, "unauthorized"),
        (
            {"Authorization": "Bearer wrong"},
            {"campaign_id": "x", "question": "q"},
            401,
            "unauthorized",
        ),
        ({"Authorization": f"Bearer {KEY}"}, {"question": "q"}, 422, "invalid_body"),
        ({"Authorization": f"Bearer {KEY}"}, [1], 422, "invalid_body"),
        (
            {"Authorization": f"Bearer {KEY}"},
            {"campaign_id": "00000000-0000-0000-0000-000000000000", "question": "q"},
            404,
            "not_found",
        ),
    ],
)
async def test_ai_chat_refusals_are_clear_json(
    service: httpx2.AsyncClient, headers: dict[str, str], body: object, status: int, code: str
) -> None:
    response = await service.post("/ai/chat", json=body, headers=headers)
    assert response.status_code == status
    assert response.json()["error"]["code"] == code


async def test_the_bridge_is_served_beside_it(service: httpx2.AsyncClient) -> None:
    response = await service.get("/health")
    assert response.json()["service"] == "bridge"


@pytest.mark.parametrize("bad", bad_bodies(MAX_BODY), ids=lambda b: b.name)
async def test_every_bad_body_is_a_json_4xx(service: httpx2.AsyncClient, bad: BadBody) -> None:
    headers = {"Authorization": f"Bearer {KEY}", **bad.headers()}
    response = await service.post("/ai/chat", content=bad.content, headers=headers)
    assert_refusal(response, bad.status, bad.code)


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"campaign_id": "  ", "question": "q"}, "campaign_id"),
        ({"campaign_id": "c", "question": "q", "task": "poetry"}, "task"),
        ({"campaign_id": "c", "question": "q", "colour": "red"}, "colour"),
        ({"campaign_id": "c", "question": 5}, "question"),
    ],
)
async def test_a_misfit_body_names_the_field(
    service: httpx2.AsyncClient, body: object, field: str
) -> None:
    response = await service.post("/ai/chat", json=body, headers={"Authorization": f"Bearer {KEY}"})
    assert assert_refusal(response, 422, "invalid_body")["field"] == field


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("GET", "/ai/chat", 405, "method_not_allowed"),
        ("DELETE", "/ai/chat", 405, "method_not_allowed"),
        ("GET", "/vtt/rolls", 405, "method_not_allowed"),
    ],
)
async def test_unknown_paths_and_methods_are_json(
    service: httpx2.AsyncClient, method: str, path: str, status: int, code: str
) -> None:
    assert_refusal(await service.request(method, path), status, code)


@pytest.mark.parametrize(
    "authorization", [b"Bearer", b"Basic x", "Bearer clé".encode(), b"Bearer \xff"]
)
async def test_malformed_or_non_ascii_keys_are_refused_alike(
    service: httpx2.AsyncClient, authorization: bytes
) -> None:
    headers = {"authorization": authorization, "content-type": JSON}
    response = await service.post("/ai/chat", content=b"{}", headers=headers)
    assert_refusal(response, 401, "unauthorized")


async def test_with_no_keys_configured_every_caller_is_refused(
    outbox: Outbox, ai: AIService, core_client: CoreClient
) -> None:
    bridge = create_bridge_app(BridgeSettings(), reporter=outbox)
    app = create_service_app(bridge, ai=ai, core=core_client, api_keys=())
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://service") as client:
        response = await client.post("/ai/chat", json={}, headers={"Authorization": "Bearer "})
        assert_refusal(response, 401, "unauthorized")
        response = await client.post("/ai/chat", json={}, headers={"Authorization": "Bearer x"})
        assert_refusal(response, 401, "unauthorized")


async def test_a_bridge_stream_is_served_through_the_service(
    outbox: Outbox, ai: AIService, core_client: CoreClient
) -> None:
    # Two StreamingApps, one mounted in the other: the outer serves the live part.
    bridge_app = create_bridge_app(BridgeSettings(), reporter=outbox)
    app = create_service_app(bridge_app, ai=ai, core=core_client, api_keys=(KEY,))
    async with serve(app) as url, httpx2.AsyncClient(timeout=5) as http:
        services = bridge_app.state.services
        bridge = Bridge(url, services.store, http, app=bridge_app)
        mira = await link(bridge, "mira", platform="foundry")
        async with mira.stream() as sse:
            await publish_chats(services.bus, range(2))
            assert texts(await read(sse, 2)) == [0, 1]
        async with asyncio.timeout(10):  # a hang, not a timing
            while len(services.streams):  # noqa: ASYNC110 - nothing to wait on but the count
                await asyncio.sleep(0.01)
