"""Core's edges: every body-reading route refuses bad bodies with a JSON 4xx, never a 500.

The bodies come from `tests.support.bad_bodies`, shared with the other apps,
so Core, the bridge and the service app are held to the same list.
"""

from __future__ import annotations

import uuid

import httpx2
import pytest

from core_client import signing
from tests.support.bad_bodies import JSON, assert_refusal, bad_bodies

ID = str(uuid.uuid4())  # body checks come before any lookup, so no row is needed
QUERY_LIMIT = 262_144
WEBHOOK_LIMIT = 1_048_576

BODY_ROUTES = [
    ("POST", "/campaigns"),
    ("PATCH", f"/campaigns/{ID}"),
    ("PUT", f"/campaigns/{ID}/crit-rules/presets/nat20"),
    ("POST", f"/campaigns/{ID}/characters"),
    ("PATCH", f"/characters/{ID}"),
    ("POST", f"/campaigns/{ID}/game-links"),
    ("PATCH", f"/game-links/{ID}"),
    ("POST", f"/campaigns/{ID}/sessions"),
    ("PATCH", f"/sessions/{ID}"),
]


@pytest.mark.parametrize(("method", "path"), BODY_ROUTES)
async def test_every_bad_body_is_a_json_4xx(
    core_http: httpx2.AsyncClient, core_api_key: str, method: str, path: str
) -> None:
    for bad in bad_bodies(QUERY_LIMIT):
        headers = {"authorization": f"Bearer {core_api_key}", **bad.headers()}
        response = await core_http.request(method, path, content=bad.content, headers=headers)
        assert_refusal(response, bad.status, bad.code)


async def test_every_bad_signed_delivery_is_a_json_4xx(
    core_http: httpx2.AsyncClient, webhook_secret: str
) -> None:
    for i, bad in enumerate(bad_bodies(WEBHOOK_LIMIT)):
        headers = signing.sign([webhook_secret], f"msg_bad_{i}", bad.content).as_dict()
        response = await core_http.post(
            "/webhooks", content=bad.content, headers=headers | bad.headers()
        )
        # A delivery that is not JSON fails as a malformed delivery: 422 naming the body.
        if bad.code == "invalid_json":
            assert assert_refusal(response, 422, "invalid_body")["field"] == "body", bad.name
        else:
            assert_refusal(response, bad.status, bad.code)


@pytest.mark.parametrize(
    ("method", "path", "status", "code"),
    [("GET", "/nowhere", 404, "not_found"), ("DELETE", "/campaigns", 405, "method_not_allowed")],
)
async def test_unknown_paths_and_methods_are_json(
    core_http: httpx2.AsyncClient, method: str, path: str, status: int, code: str
) -> None:
    assert_refusal(await core_http.request(method, path), status, code)


@pytest.mark.parametrize(
    "authorization",
    [None, b"Bearer", b"Bearer nope", b"Basic x", "Bearer clé".encode(), b"Bearer \xff"],
)
async def test_wrong_missing_or_non_ascii_keys_are_refused_alike(
    core_http: httpx2.AsyncClient, authorization: bytes | None
) -> None:
    headers: dict[str, str | bytes] = {"content-type": JSON}
    if authorization is not None:
        headers["authorization"] = authorization
    for method, path in [("GET", "/campaigns"), ("POST", "/campaigns")]:
        response = await core_http.request(method, path, content=b'{"name": "x"}', headers=headers)
        assert_refusal(response, 401, "unauthorized")
