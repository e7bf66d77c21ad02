"""Keys Core issues itself: stored as digests, listed, scoped, revoked at once.

Every test runs on SQLite and PostgreSQL (tests/storage/conftest.py), on one
running app: a revocation holds on the very next request, with no restart.
"""

from __future__ import annotations

import hashlib
from typing import Any

import httpx2
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from core_client import CampaignUpserted, CoreClient
from storage.models import ApiKey
from tests.support.core import SCOPED_KEY


def _as(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


async def _issue(http: httpx2.AsyncClient, admin: str, **body: Any) -> tuple[str, dict[str, Any]]:
    response = await http.post("/keys", json=body, headers=_as(admin))
    assert response.status_code == 201, response.text
    answer = response.json()
    return answer.pop("key"), answer


@pytest.fixture
async def campaigns(core_client: CoreClient) -> tuple[str, str]:
    await core_client.deliver(
        [
            CampaignUpserted(key="guild:1", name="Ours").event(),
            CampaignUpserted(key="guild:2", name="Theirs").event(),
        ]
    )
    ours, theirs = (
        await core_client.campaign_by_key("guild:1"),
        await core_client.campaign_by_key("guild:2"),
    )
    assert ours is not None
    assert theirs is not None
    return ours["id"], theirs["id"]


async def test_an_issued_key_works_until_revoked_without_a_restart(
    core_http: httpx2.AsyncClient, core_api_key: str, campaigns: tuple[str, str]
) -> None:
    key, issued = await _issue(core_http, core_api_key, label="grafana")
    assert key.startswith("fbk_")
    assert issued["role"] == "query"
    assert issued["campaigns"] is None
    assert issued["label"] == "grafana"
    assert issued["revoked_at"] is None
    seen = await core_http.get("/campaigns", headers=_as(key))
    assert seen.status_code == 200
    assert len(seen.json()["campaigns"]) == 2
    revoked = await core_http.delete(f"/keys/{issued['id']}", headers=_as(core_api_key))
    assert revoked.status_code == 200
    assert revoked.json()["revoked_at"] is not None
    refused = await core_http.get("/campaigns", headers=_as(key))
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "unauthorized"
    again = await core_http.delete(f"/keys/{issued['id']}", headers=_as(core_api_key))
    assert again.json()["revoked_at"] == revoked.json()["revoked_at"]  # revoking twice is a no-op


async def test_core_keeps_the_digest_never_the_key_and_lists_without_it(
    core_app: Starlette, core_http: httpx2.AsyncClient, core_api_key: str
) -> None:
    key, issued = await _issue(core_http, core_api_key, label="ci")
    assert (await core_http.get("/campaigns", headers=_as(key))).status_code == 200
    async with core_app.state.sessions() as session:
        (row,) = (await session.scalars(select(ApiKey))).all()
    assert row.secret_digest == hashlib.sha256(key.encode()).hexdigest()
    secret = key.split("_", 2)[2]  # fbk_<id>_<secret>: the secret may hold "_" itself
    assert all(secret not in str(getattr(row, c.key)) for c in ApiKey.__table__.columns)
    listed = await core_http.get("/keys", headers=_as(core_api_key))
    assert listed.status_code == 200
    (shown,) = listed.json()["keys"]
    assert shown["id"] == issued["id"]
    assert shown["last_used_at"] is not None  # it was used above
    assert secret not in listed.text
    assert row.secret_digest not in listed.text
    assert set(shown) == {
        "id",
        "role",
        "campaigns",
        "label",
        "created_at",
        "last_used_at",
        "revoked_at",
    }


async def test_a_scoped_issued_key_sees_only_its_campaign(
    core_http: httpx2.AsyncClient, core_api_key: str, campaigns: tuple[str, str]
) -> None:
    ours, theirs = campaigns
    key, issued = await _issue(core_http, core_api_key, campaigns=["guild:1"])
    assert issued["campaigns"] == [ours]  # named by external key, kept by id
    listed = await core_http.get("/campaigns", headers=_as(key))
    assert [c["id"] for c in listed.json()["campaigns"]] == [ours]
    assert (await core_http.get(f"/campaigns/{theirs}", headers=_as(key))).status_code == 404
    created = await core_http.post("/campaigns", json={"name": "New"}, headers=_as(key))
    assert created.status_code == 403


@pytest.mark.parametrize("who", ["query", "scoped", "configured-scoped"])
async def test_only_an_admin_key_manages_keys(
    core_http: httpx2.AsyncClient, core_api_key: str, campaigns: tuple[str, str], who: str
) -> None:
    if who == "configured-scoped":
        key = SCOPED_KEY
    else:
        scope = {"campaigns": [campaigns[0]]} if who == "scoped" else {}
        key, _ = await _issue(core_http, core_api_key, **scope)
    _, target = await _issue(core_http, core_api_key)
    for method, path in [("POST", "/keys"), ("GET", "/keys"), ("DELETE", f"/keys/{target['id']}")]:
        response = await core_http.request(method, path, json={}, headers=_as(key))
        assert response.status_code == 403, (method, path)
        assert response.json()["error"]["code"] == "forbidden"
    stranger = await core_http.get("/keys", headers=_as("fbk_" + "0" * 32 + "_nope"))
    assert stranger.status_code == 401


async def test_an_issued_admin_key_issues_and_revokes(
    core_http: httpx2.AsyncClient, core_api_key: str
) -> None:
    admin, _ = await _issue(core_http, core_api_key, role="admin")
    key, issued = await _issue(core_http, admin)
    assert (await core_http.delete(f"/keys/{issued['id']}", headers=_as(admin))).status_code == 200
    assert (await core_http.get("/campaigns", headers=_as(key))).status_code == 401


async def test_a_tampered_key_is_refused(core_http: httpx2.AsyncClient, core_api_key: str) -> None:
    key, _ = await _issue(core_http, core_api_key)
    tampered = key[:-1] + ("A" if key[-1] != "A" else "B")
    for bad in (tampered, key + "x", key[:-1], key.replace("fbk_", "fbk-", 1)):
        response = await core_http.get("/campaigns", headers=_as(bad))
        assert response.status_code == 401, bad


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"role": "root"}, "role"),
        ({"role": "admin", "campaigns": ["guild:1"]}, "campaigns"),
        ({"campaigns": ["no-such-campaign"]}, "campaigns[0]"),
        ({"campaigns": []}, "campaigns"),
        ({"label": "x" * 201}, "label"),
        ({"lable": "typo"}, "lable"),
    ],
)
async def test_a_bad_key_request_is_422_naming_the_field(
    core_http: httpx2.AsyncClient,
    core_api_key: str,
    campaigns: tuple[str, str],
    body: dict[str, Any],
    field: str,
) -> None:
    response = await core_http.post("/keys", json=body, headers=_as(core_api_key))
    assert response.status_code == 422, response.text
    assert response.json()["error"]["field"] == field
    listed = await core_http.get("/keys", headers=_as(core_api_key))
    assert listed.json()["keys"] == []


async def test_revoking_a_key_core_never_issued_is_404(
    core_http: httpx2.AsyncClient, core_api_key: str
) -> None:
    missing = "00000000-0000-0000-0000-000000000001"
    response = await core_http.delete(f"/keys/{missing}", headers=_as(core_api_key))
    assert response.status_code == 404
