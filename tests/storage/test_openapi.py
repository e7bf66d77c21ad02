"""Core's served spec is its routes, and the live app answers only what the spec says.

The spec (`GET /openapi.json`) is built from `storage.operations`, whose rows
must be exactly the app's Starlette routes. schemathesis then sends cases of
every operation to Core on a real uvicorn, with real keys (a service key and
a scoped one) and webhooks signed with the real secret, and fails on any
5xx or any answer the spec does not describe.
"""

from __future__ import annotations

import asyncio
import collections
import itertools
import json
import uuid
from typing import Any

import httpx2
import pytest
import schemathesis
from starlette.routing import Route

from core_client import signing
from core_client.contract import codec
from core_client.contract.events import Delivery
from core_client.contract.payloads import PAYLOADS
from storage.app import create_app
from storage.openapi import document
from storage.operations import DELIVERY_EXAMPLE, OPERATIONS
from storage.settings import CoreSettings
from tests.support.core import SCOPED_CAMPAIGN, SCOPED_KEY, d20_roll
from tests.support.fuzz import BAD_BODIES, bad_bodies, run_in_thread
from tests.support.servers import serve


def test_every_core_route_is_in_the_spec_and_nothing_else() -> None:
    app = create_app(CoreSettings())
    served = {
        (route.path, method)
        for route in app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    declared = {(op.path, op.method) for op in OPERATIONS}
    assert declared == served
    documented = {(p, m.upper()) for p, ops in document()["paths"].items() for m in ops}
    assert documented == served


async def test_core_serves_its_spec_and_it_is_valid_openapi(
    core_http: httpx2.AsyncClient,
) -> None:
    response = await core_http.get("/openapi.json")
    assert response.status_code == 200
    assert response.headers["content-type"] == "application/json"
    assert response.json() == json.loads(json.dumps(document()))
    schemathesis.openapi.from_dict(response.json()).validate()


def test_the_spec_names_a_security_scheme_per_key_role() -> None:
    doc = document()
    assert set(doc["components"]["securitySchemes"]) == {
        "serviceKey",
        "scopedKey",
        "webhookId",
        "webhookTimestamp",
        "webhookSignature",
    }
    security = {(p, m): op["security"] for p, ops in doc["paths"].items() for m, op in ops.items()}
    assert security["/campaigns", "post"] == [{"serviceKey": []}]
    assert security["/rolls", "get"] == [{"serviceKey": []}, {"scopedKey": []}]
    assert security["/health", "get"] == []
    assert list(security["/webhooks", "post"][0]) == [
        "webhookId",
        "webhookTimestamp",
        "webhookSignature",
    ]


def test_the_webhook_example_is_a_delivery_core_accepts() -> None:
    # The fuzz's explicit phase sends it, and must get a 200 for the reach check below.
    [event] = codec.decode(DELIVERY_EXAMPLE, Delivery).events
    codec.decode(event.data, PAYLOADS[event.type])


# --- schemathesis against the live Core ---------------------------------------

# Which seeded row a path's `{id}` names, so some cases reach a real one.
ID_OF = {
    "campaigns": "campaign",
    "characters": "character",
    "game-links": "game_link",
    "sessions": "session",
    "keys": "api_key",
}


class Caller:
    """Signs webhooks and picks a key for each case: mostly the service key, some scoped."""

    def __init__(self, api_key: str, secret: str, ids: dict[str, str]) -> None:
        self.api_key = api_key
        self.secret = secret
        self.ids = ids
        # Counted per operation, so adding an operation to Core changes no other's cases.
        self.turns: dict[str, itertools.count[int]] = collections.defaultdict(itertools.count)

    def prepare(self, case: Any) -> dict[str, Any]:
        turn = next(self.turns[f"{case.operation.method} {case.operation.path}"])
        if case.operation.path == "/webhooks":
            return self._signed(case)
        key = SCOPED_KEY if turn % 3 == 2 else self.api_key
        root = case.operation.path.split("/")[1]
        if "id" in (case.path_parameters or {}) and turn % 2 == 0:
            case.path_parameters["id"] = self.ids[ID_OF[root]]  # a row that exists
            if "preset" in case.path_parameters:
                case.path_parameters["preset"] = "nat20"  # a preset that exists
        return {"headers": {"Authorization": f"Bearer {key}"}, "timeout": 10}

    def _signed(self, case: Any) -> dict[str, Any]:
        if not isinstance(case.body, dict | list):
            return {"timeout": 10}
        body = json.dumps(case.body).encode()
        headers = signing.sign([self.secret], f"msg_{uuid.uuid4().hex}", body).as_dict()
        headers["Content-Type"] = "application/json"
        return {"headers": headers, "data": body, "timeout": 10}


async def _seed(http: httpx2.AsyncClient, url: str, key: str, secret: str) -> dict[str, str]:
    """Create one of each row through the API itself, in the scoped key's campaign."""
    auth = {"Authorization": f"Bearer {key}"}
    new = {"name": "Fuzz", "external_key": SCOPED_CAMPAIGN}
    campaign = (await http.post(f"{url}/campaigns", json=new, headers=auth)).json()
    body = json.dumps({"events": [codec.to_builtins(d20_roll(17))]}).encode()
    signed = signing.sign([secret], "msg_seed", body).as_dict()
    headers = {**signed, "Content-Type": "application/json"}
    assert (await http.post(f"{url}/webhooks", content=body, headers=headers)).status_code == 200
    ids = {"campaign": campaign["id"]}
    for name, path, fields in (
        ("character", "characters", {"name": "Mira"}),
        ("game_link", "game-links", {"platform": "foundry", "vtt_game_id": "table-1"}),
        ("session", "sessions", {"title": "One"}),
    ):
        made = await http.post(
            f"{url}/campaigns/{campaign['id']}/{path}", json=fields, headers=auth
        )
        assert made.status_code == 201, made.text
        ids[name] = made.json()["id"]
    issued = await http.post(f"{url}/keys", json={"label": "fuzz"}, headers=auth)
    assert issued.status_code == 201, issued.text
    ids["api_key"] = issued.json()["id"]
    return ids


@pytest.mark.parametrize("core_database_url", ["sqlite"], indirect=True)
async def test_the_live_core_answers_as_its_spec_says(
    core_settings: CoreSettings, core_api_key: str, webhook_secret: str
) -> None:
    app = create_app(core_settings)
    async with serve(app) as url, httpx2.AsyncClient(timeout=10) as http:
        ids = await _seed(http, url, core_api_key, webhook_secret)
        spec = (await http.get(f"{url}/openapi.json")).json()
        caller = Caller(core_api_key, webhook_secret, ids)
        report = await run_in_thread(spec, url, caller.prepare, max_examples=10)
    await asyncio.sleep(0)
    assert report.failures == [], "\n\n".join(report.failures)
    documented = {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops}
    assert set(report.sent) == documented
    reached = {label for label, statuses in report.statuses.items() if statuses & {200, 201}}
    assert reached == documented, report.statuses


@pytest.mark.parametrize("core_database_url", ["sqlite"], indirect=True)
async def test_every_route_with_a_body_refuses_bad_bodies_as_its_spec_says(
    core_settings: CoreSettings, core_api_key: str, webhook_secret: str
) -> None:
    def prepare(case: Any, body: bytes) -> dict[str, str]:
        if case.operation.path == "/webhooks":  # signed, so the body itself is judged
            return signing.sign([webhook_secret], "msg_bad", body).as_dict()
        return {"Authorization": f"Bearer {core_api_key}"}

    async with serve(create_app(core_settings)) as url, httpx2.AsyncClient() as http:
        spec = (await http.get(f"{url}/openapi.json")).json()
        seen = await asyncio.to_thread(bad_bodies, spec, url, prepare)
    expected = {name: status for name, _, _, status in BAD_BODIES}
    # A signed delivery that is not JSON is an invalid body, as its receipt would say.
    assert seen.pop("POST /webhooks") == {**expected, "malformed": 422}
    assert seen == dict.fromkeys(seen, expected)
    with_body = {
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op and path != "/webhooks"  # signed: its own test
    }
    assert set(seen) == with_body  # creates and patches of 4 entities, presets, keys
