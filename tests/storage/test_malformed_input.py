"""Malformed cursors, dates and references are the caller's fault: 400 or 422, never 500/503.

Each value here once reached the database or `datetime` unchecked and
answered 500 or 503 "retry later", which invites a client to retry forever.
"""

from __future__ import annotations

import json
import uuid

import httpx2
import pytest

from core_client import CoreClient, signing
from storage import cursors

SERVICE = "Authorization"


@pytest.fixture
def auth(core_api_key: str) -> dict[str, str]:
    return {SERVICE: f"Bearer {core_api_key}"}


@pytest.mark.parametrize("route", ["/rolls", "/rolls/stats"])
@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("since", "0001-01-01T00:00:00+14:00"),  # valid ISO 8601, but year 0 in UTC
        ("until", "9999-12-31T23:59:59-14:00"),  # year 10000 in UTC
        ("since", "99999999999999999999"),
        ("until", "not-a-date"),
    ],
)
async def test_a_date_no_moment_can_hold_is_400_naming_the_parameter(
    core_http: httpx2.AsyncClient, auth: dict[str, str], route: str, name: str, value: str
) -> None:
    response = await core_http.get(route, params={name: value}, headers=auth)
    assert response.status_code == 400, response.text
    assert response.json()["error"] == {
        "code": "invalid_parameter",
        "message": f"{name}: must be ISO 8601 or Unix seconds",
        "field": name,
    }


@pytest.mark.parametrize(
    ("route", "parts"),
    [
        ("/changes?since=", [2**63]),  # over BIGINT
        ("/changes?since=", [-1]),
        ("/changes?since=", [True]),
        ("/changes?since=", [1.5]),
        ("/rolls?cursor=", ["0001-01-01T00:00:00+14:00", str(uuid.uuid4())]),
        ("/rolls?cursor=", ["2024-01-01T00:00:00+00:00", "not-a-uuid"]),
        ("/campaigns?cursor=", [2**63]),
    ],
)
async def test_a_cursor_core_never_issued_is_400(
    core_http: httpx2.AsyncClient, auth: dict[str, str], route: str, parts: list[object]
) -> None:
    response = await core_http.get(route + cursors.encode(*parts), headers=auth)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_cursor"


@pytest.mark.parametrize(
    "route", ["/changes?since=", "/rolls?cursor=", "/campaigns?cursor=", "/chat?cursor="]
)
async def test_a_cursor_that_is_not_ascii_is_400(
    core_http: httpx2.AsyncClient, auth: dict[str, str], route: str
) -> None:
    # Found by schemathesis: base64 raised ValueError on non-ASCII text, a 500.
    response = await core_http.get(route + "%C3%A4%C2%95", headers=auth)
    assert response.status_code == 400, response.text
    assert response.json()["error"]["code"] == "invalid_cursor"


async def test_the_largest_change_cursor_is_still_served(
    core_http: httpx2.AsyncClient, auth: dict[str, str]
) -> None:
    response = await core_http.get("/changes?since=" + cursors.encode(2**63 - 1), headers=auth)
    assert response.status_code == 200, response.text
    assert response.json()["changes"] == []


def _delivery(*occurred: float) -> bytes:
    events = [
        {"id": f"evt-{i}", "type": "user.upserted", "occurred_at": at, "data": {"discord_id": "7"}}
        for i, at in enumerate(occurred)
    ]
    return json.dumps({"events": events}).encode()


async def _post(http: httpx2.AsyncClient, secret: str, body: bytes) -> httpx2.Response:
    headers = signing.sign([secret], f"msg-{uuid.uuid4()}", body).as_dict()
    headers["content-type"] = "application/json"
    return await http.post("/webhooks", content=body, headers=headers)


@pytest.mark.parametrize("occurred", [1e20, -1.0, 1e11])
async def test_an_event_at_a_moment_no_column_holds_is_refused_alone(
    core_http: httpx2.AsyncClient, webhook_secret: str, occurred: float
) -> None:
    alone = await _post(core_http, webhook_secret, _delivery(occurred))
    assert alone.status_code == 422, alone.text
    assert alone.json()["error"]["field"] == "events[0].occurred_at"
    mixed = await _post(core_http, webhook_secret, _delivery(1_700_000_000.0, occurred))
    assert mixed.status_code == 200, mixed.text
    receipt = mixed.json()
    assert receipt["accepted"] == 1
    assert [r["field"] for r in receipt["refused"]] == ["events[1].occurred_at"]


async def test_a_gm_who_is_no_user_is_named_not_reported_as_a_taken_key(
    core_http: httpx2.AsyncClient, core_client: CoreClient, auth: dict[str, str]
) -> None:
    nobody = str(uuid.uuid4())
    created = await core_http.post(
        "/campaigns", json={"name": "Lost", "gm_user_id": nobody}, headers=auth
    )
    assert created.status_code == 422, created.text
    assert created.json()["error"]["code"] == "invalid_body"
    assert created.json()["error"]["field"] == "gm_user_id"
    campaign = await core_client.create_campaign(name="Found")
    body = {"version": campaign["version"], "gm_user_id": nobody}
    patched = await core_http.patch(f"/campaigns/{campaign['id']}", json=body, headers=auth)
    assert patched.status_code == 422, patched.text
    assert patched.json()["error"]["field"] == "gm_user_id"
