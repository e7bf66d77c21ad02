"""Each role's key opens only its role's routes: the matrix of keys x endpoints.

The apps are wired by the composition root itself (`serve.resolve` and the
service it opens), from the environment an operator would set, so the test
proves the configuration and not a hand-built app.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import httpx2
import pytest

from bot import serve
from bot.config import load
from bot.serve import Roles
from core_client import signing
from storage.app import create_app as create_core_app

KEYS = {
    "core": "core-query-key",
    "core-scoped": "core-scoped-key",
    "bridge": "bridge-v1-key",
    "ai": "ai-chat-key",
}
SECRET = signing.generate_secret()


@dataclass(frozen=True, slots=True)
class Endpoint:
    app: str  # "core" or "service"
    method: str
    path: str
    role: str  # the role whose keys open it
    json: object | None = None


ENDPOINTS = [
    Endpoint("core", "GET", "/campaigns", "core"),
    Endpoint("core", "POST", "/campaigns", "core", {"name": "Keys"}),
    Endpoint("core", "GET", "/rolls", "core"),
    Endpoint("core", "GET", "/rolls/stats", "core"),
    Endpoint("core", "GET", "/changes", "core"),
    Endpoint("core", "GET", "/game-links", "core"),
    Endpoint("core", "GET", "/characters/00000000-0000-0000-0000-000000000000", "core"),
    Endpoint("service", "POST", "/v1/campaigns/c1/rolls", "bridge", {"expression": "1d20"}),
    Endpoint("service", "POST", "/ai/chat", "ai", {"campaign_id": "c1", "question": "Hi?"}),
]
# Callers: each role's key, the webhook secret (a signing key, never a bearer
# key) and a stranger's.
CALLERS = [*KEYS, "webhook-secret", "stranger"]


def _key(caller: str) -> str:
    return KEYS.get(caller) or (SECRET if caller == "webhook-secret" else "not-a-key")


def _opens(caller: str, endpoint: Endpoint) -> bool:
    return caller.split("-")[0] == endpoint.role and caller in KEYS


def _environment(data_dir: Path) -> dict[str, str]:
    return {
        "FUMBLEBOT_PATHS_DATA_DIR": str(data_dir),
        # Nothing listens there: the outbox keeps its events, which is all we need.
        "FUMBLEBOT_CORE_URL": "http://127.0.0.1:9",
        "FUMBLEBOT_WEBHOOK_SECRETS": SECRET,
        "FUMBLEBOT_CORE_API_KEY": f"{KEYS['core']} core-old-key",
        "FUMBLEBOT_CORE_SCOPED_API_KEYS": f"{KEYS['core-scoped']}:guild:1",
        "FUMBLEBOT_BRIDGE_SERVICE_KEYS": f"{KEYS['bridge']} bridge-old-key",
        "FUMBLEBOT_AI_CHAT_KEYS": f"{KEYS['ai']} ai-old-key",
    }


@pytest.fixture
async def clients(tmp_path: Path) -> AsyncIterator[dict[str, httpx2.AsyncClient]]:
    settings = serve.resolve(load(None, _environment(tmp_path)), Roles(core=True, service=True))
    core_app = create_core_app(settings.core)
    async with contextlib.AsyncExitStack() as stack:
        await stack.enter_async_context(core_app.router.lifespan_context(core_app))
        service_app, _, _, _ = await serve._open_service(stack, settings)
        await stack.enter_async_context(service_app.router.lifespan_context(service_app))  # type: ignore[attr-defined]
        found = {}
        for name, app in (("core", core_app), ("service", service_app)):
            transport = httpx2.ASGITransport(app=app)
            client = httpx2.AsyncClient(transport=transport, base_url=f"http://{name}")
            found[name] = await stack.enter_async_context(client)
        yield found


@pytest.mark.parametrize("caller", CALLERS)
async def test_each_key_opens_only_its_roles_routes(
    clients: dict[str, httpx2.AsyncClient], caller: str
) -> None:
    headers = {"Authorization": f"Bearer {_key(caller)}"}
    for endpoint in ENDPOINTS:
        client = clients[endpoint.app]
        response = await client.request(
            endpoint.method, endpoint.path, json=endpoint.json, headers=headers
        )
        opened = response.status_code != 401
        assert opened == _opens(caller, endpoint), (endpoint, response.text)
        if not opened:
            assert response.json()["error"]["code"] == "unauthorized"


# The bridge key is left out: an opened stream never ends, and the matrix
# above already proves that key opens the bridge's /v1 routes.
@pytest.mark.parametrize("caller", [c for c in CALLERS if c != "bridge"])
async def test_no_other_key_opens_a_campaign_stream(
    clients: dict[str, httpx2.AsyncClient], caller: str
) -> None:
    headers = {"Authorization": f"Bearer {_key(caller)}"}
    response = await clients["service"].get("/v1/campaigns/c1/events", headers=headers)
    assert response.status_code == 401


@pytest.mark.parametrize(
    ("variable", "old", "endpoint"),
    [
        ("FUMBLEBOT_CORE_API_KEY", "core-old-key", ENDPOINTS[0]),
        ("FUMBLEBOT_BRIDGE_SERVICE_KEYS", "bridge-old-key", ENDPOINTS[7]),
        ("FUMBLEBOT_AI_CHAT_KEYS", "ai-old-key", ENDPOINTS[8]),
    ],
)
async def test_every_key_of_a_role_opens_it_so_rotation_can_overlap(
    clients: dict[str, httpx2.AsyncClient], variable: str, old: str, endpoint: Endpoint
) -> None:
    response = await clients[endpoint.app].request(
        endpoint.method,
        endpoint.path,
        json=endpoint.json,
        headers={"Authorization": f"Bearer {old}"},
    )
    assert response.status_code != 401, (variable, response.text)


async def test_the_service_says_which_routes_no_key_opens(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    env = _environment(tmp_path)
    del env["FUMBLEBOT_BRIDGE_SERVICE_KEYS"], env["FUMBLEBOT_AI_CHAT_KEYS"]
    settings = serve.resolve(load(None, env), Roles(core=True, service=True))
    caplog.set_level("INFO", logger="bot.serve")
    async with contextlib.AsyncExitStack() as stack:
        await serve._open_service(stack, settings)
    said = caplog.text
    assert "/v1 routes refuse everyone: FUMBLEBOT_BRIDGE_SERVICE_KEYS is unset" in said
    assert "POST /ai/chat refuses everyone: FUMBLEBOT_AI_CHAT_KEYS is unset" in said
