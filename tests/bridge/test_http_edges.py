"""The bridge's edges: every POST route refuses bad bodies with a JSON 4xx, never a 500.

The link route is unauthenticated, so before this a stranger could turn 100k
`[` into a 500 there; every route is now held to the shared list of bodies.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator

import httpx2
import pytest

from bridge.app import create_app
from bridge.bus import InMemoryBus
from bridge.pairing import create_pairing_code
from bridge.store import MemoryStore
from core_client import Outbox
from tests.bridge.conftest import SETTINGS
from tests.support.bad_bodies import JSON, assert_refusal, bad_bodies

SERVICE_KEY = "svc_edges"
LIMIT = SETTINGS.max_body_bytes


@dataclasses.dataclass
class Edge:
    http: httpx2.AsyncClient
    token: str


@pytest.fixture
async def edge(outbox: Outbox) -> AsyncIterator[Edge]:
    settings = dataclasses.replace(
        SETTINGS, service_keys=(SERVICE_KEY,), rate_burst=1000, link_rate_burst=1000
    )
    bus, store = InMemoryBus(), MemoryStore()
    app = create_app(settings, reporter=outbox, bus=bus, store=store)
    transport = httpx2.ASGITransport(app=app)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=transport, base_url="http://bridge") as http,
    ):
        code = await create_pairing_code(
            store, "alice", "c1", ("g1",), user_name="Alice", ttl=600.0
        )
        body = {"code": code.code, "platform": "roll20", "player_id": "p1"}
        linked = await http.post("/vtt/accounts/link", json=body)
        assert linked.status_code == 201, linked.text
        yield Edge(http, linked.json()["token"])
    await bus.aclose()


# (path, credential): None for the unauthenticated link route.
POST_ROUTES = [
    ("/vtt/accounts/link", None),
    ("/vtt/rolls", "token"),
    ("/vtt/chat", "token"),
    ("/vtt/roll", "token"),
    ("/v1/campaigns/c1/rolls", "service"),
]


def _auth(edge: Edge, credential: str | None) -> dict[str, str]:
    keys = {"token": edge.token, "service": SERVICE_KEY}
    return {"authorization": f"Bearer {keys[credential]}"} if credential else {}


@pytest.mark.parametrize(("path", "credential"), POST_ROUTES)
async def test_every_bad_body_is_a_json_4xx(edge: Edge, path: str, credential: str | None) -> None:
    for bad in bad_bodies(LIMIT):
        headers = _auth(edge, credential) | bad.headers()
        response = await edge.http.post(path, content=bad.content, headers=headers)
        assert_refusal(response, bad.status, bad.code)


async def test_roll_json_nested_in_a_payload_is_bounded_too(edge: Edge) -> None:
    for content in ("[" * 50_000, '{"rolls": [], "total": NaN}', '{"total": ' + "9" * 5000 + "}"):
        body = {"game_id": "g1", "format": "roll20.message", "payload": {"content": content}}
        response = await edge.http.post("/vtt/rolls", json=body, headers=_auth(edge, "token"))
        assert response.status_code == 422, response.text
        assert response.json()["results"][0]["error"]["code"] == "invalid_payload"


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [
        ("GET", "/nowhere", 404, "not_found"),
        ("GET", "/vtt/rolls", 405, "method_not_allowed"),
        ("PUT", "/v1/campaigns/c1/rolls", 405, "method_not_allowed"),
    ],
)
async def test_unknown_paths_and_methods_are_json(
    edge: Edge, method: str, path: str, status: int, code: str
) -> None:
    assert_refusal(await edge.http.request(method, path), status, code)


@pytest.mark.parametrize(
    "authorization",
    [None, b"Bearer", b"Bearer nope", b"Basic x", "Bearer clé".encode(), b"Bearer \xff"],
)
@pytest.mark.parametrize("path", ["/vtt/chat", "/v1/campaigns/c1/rolls"])
async def test_wrong_missing_or_non_ascii_credentials_are_refused_alike(
    edge: Edge, path: str, authorization: bytes | None
) -> None:
    headers: dict[str, str | bytes] = {"content-type": JSON}
    if authorization is not None:
        headers["authorization"] = authorization
    response = await edge.http.post(path, content=b"{}", headers=headers)
    code = response.json()["error"]["code"]
    assert code in {"unauthorized", "missing_token", "invalid_token"}
    assert_refusal(response, 401, code)
    assert response.headers["www-authenticate"] == 'Bearer realm="fumblebot-bridge"'
