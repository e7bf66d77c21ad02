"""The OpenAPI document describes exactly the routes the bridge serves."""

from __future__ import annotations

import asyncio
import collections
import dataclasses
import itertools
from pathlib import Path
from typing import Any

import httpx2
import msgspec
import pytest
import schemathesis
import yaml
from starlette.routing import Route

from bridge import schemas
from bridge.app import create_app
from bridge.bus import InMemoryBus
from bridge.formats import FORMATS
from bridge.overlay.keys import create_overlay_key
from bridge.settings import BridgeSettings
from bridge.store import MemoryStore
from core_client import Event, Outbox
from tests.bridge.conftest import SETTINGS, Bridge, link
from tests.support.fuzz import BAD_BODIES, CHECKS, bad_bodies, run_in_thread
from tests.support.servers import serve

DOC = Path(__file__).resolve().parents[2] / "docs" / "bridge-openapi.yaml"


class _Nowhere:
    async def put(self, event: Event) -> None:
        pass


def test_every_vtt_route_is_documented_and_nothing_else() -> None:
    doc = yaml.safe_load(DOC.read_text())
    app = create_app(BridgeSettings(), reporter=_Nowhere())
    served = {
        (route.path, method.lower())
        for route in app.routes
        if isinstance(route, Route)
        for method in route.methods or ()
        if method != "HEAD"
    }
    documented = {(path, method) for path, ops in doc["paths"].items() for method in ops}
    assert documented == served


def test_the_documented_formats_are_the_served_ones() -> None:
    doc = yaml.safe_load(DOC.read_text())
    assert sorted(doc["components"]["schemas"]["RollFormat"]["enum"]) == sorted(FORMATS)


# --- schemathesis: the live bridge answers only what the document says -------

SERVICE_KEY = "bridge-service-key-for-the-fuzz"
FUZZ_SETTINGS = dataclasses.replace(
    SETTINGS,
    # Generous budgets, so the cases reach the routes instead of a 429 each.
    rate_per_second=10_000.0,
    rate_burst=10_000,
    link_rate_per_second=10_000.0,
    link_rate_burst=10_000,
    max_streams_per_token=1_000,
    service_keys=(SERVICE_KEY,),
)


@pytest.fixture
def bridge_settings() -> BridgeSettings:
    return FUZZ_SETTINGS


class Credentials:
    """The bearer each case is sent with: a token paired for real, a fresh one to revoke."""

    def __init__(
        self, bridge: Bridge, token: str, loop: asyncio.AbstractEventLoop, overlay_key: str
    ) -> None:
        self.bridge = bridge
        self.token = token
        self.loop = loop
        self.overlay_key = overlay_key
        self.turns: dict[str, itertools.count[int]] = collections.defaultdict(itertools.count)

    def prepare(self, case: Any) -> dict[str, Any]:
        path, method = case.operation.path, case.method.upper()
        turn = next(self.turns[f"{method} {path}"])
        if self.overlay_key and "key" in (case.path_parameters or {}) and turn % 2 == 0:
            case.path_parameters["key"] = self.overlay_key  # a live key, half the time
        if path.startswith("/v1/"):
            token = SERVICE_KEY
        elif (path, method) == ("/vtt/accounts/link", "DELETE"):
            token = self._fresh_token()  # the case revokes what it presents
        else:
            token = self.token
        kwargs: dict[str, Any] = {"headers": {"Authorization": f"Bearer {token}"}, "timeout": 10}
        if case.operation.path.endswith(("/stream", "/events")):
            kwargs["timeout"] = (10, 1.0)  # an open stream is read until it goes quiet
        return kwargs

    def _fresh_token(self) -> str:
        linked = asyncio.run_coroutine_threadsafe(link(self.bridge, "bob"), self.loop)
        return linked.result(10).token


@pytest.mark.parametrize("core_database_url", ["sqlite"], indirect=True)
async def test_the_live_bridge_answers_as_documented(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", games=("g1", "table-1"))
    overlay_key, _ = await create_overlay_key(bridge.store, "c1", ["g1"], "gm")
    credentials = Credentials(bridge, alice.token, asyncio.get_running_loop(), overlay_key)
    spec = yaml.safe_load(DOC.read_text())
    streams = {
        "GET /vtt/stream": 4,
        "GET /v1/campaigns/{campaign_id}/events": 3,
        "GET /overlay/{key}/events": 3,
    }
    report = await run_in_thread(
        spec, bridge.url, credentials.prepare, max_examples=12, fewer=streams
    )
    assert report.failures == [], "\n\n".join(report.failures)
    # Every operation was reached, and answered more than one way.
    documented = {f"{m.upper()} {p}" for p, ops in spec["paths"].items() for m in ops}
    assert set(report.sent) == documented
    reached = {label for label, statuses in report.statuses.items() if statuses & {200, 201, 202}}
    assert reached >= documented - {"POST /vtt/accounts/link"}, report.statuses


# --- the request schemas are the Structs the routes decode bodies with ---------

# Each documented request schema and the Struct `bridge.schemas` decodes it with.
REQUEST_STRUCTS: dict[str, type] = {
    "LinkRequest": schemas.LinkRequest,
    "ChatRequest": schemas.ChatRequest,
    "ServerRollRequest": schemas.ServerRollRequest,
    "RollItem": schemas.RollItem,
    "RollItemRequest": schemas._Single,
    "RollBatchRequest": schemas._Batch,
}
NOT_SHAPE = {"title", "description", "default", "example", "examples", "contentMediaType"}


def _resolved(node: Any, components: dict[str, Any]) -> Any:
    """Return a schema with its refs inlined and its prose dropped, enums sorted."""
    if isinstance(node, list):
        return [_resolved(n, components) for n in node]
    if not isinstance(node, dict):
        return node
    if "$ref" in node:
        target = components[node["$ref"].rsplit("/", 1)[-1]]
        return _resolved({**target, **{k: v for k, v in node.items() if k != "$ref"}}, components)
    out = {k: _resolved(v, components) for k, v in node.items() if k not in NOT_SHAPE}
    if "enum" in out:
        out["enum"] = sorted(out["enum"])
        out.pop("type", None)
    return out


def _declared(struct: type) -> dict[str, Any]:
    (ref,), components = msgspec.json.schema_components([struct])
    return dict(_resolved(ref, components))


def _narrowed(name: str, declared: dict[str, Any], doc: dict[str, Any]) -> dict[str, Any]:
    """Apply what a route checks beyond its Struct's types, as the document says it."""
    props = declared["properties"]
    if name == "LinkRequest":  # __post_init__: a VTT's platform only
        props["platform"] = {"enum": sorted(p.value for p in schemas.VTT_PLATFORMS)}
    if "format" in props:  # an unknown format is its item's `rejected`
        props["format"] = {"enum": sorted(FORMATS)}
    if name == "RollBatchRequest":  # rolls_request: 1 to max_batch items, each a RollItem
        item = _resolved({"$ref": "#/components/schemas/RollItem"}, doc)
        props["items"] = {"type": "array", "minItems": 1, "maxItems": 50, "items": item}
    return declared


@pytest.mark.parametrize("name", sorted(REQUEST_STRUCTS))
def test_a_documented_request_is_exactly_what_its_struct_accepts(name: str) -> None:
    doc = yaml.safe_load(DOC.read_text())["components"]["schemas"]
    documented = _resolved(doc[name], doc)
    assert documented == _narrowed(name, _declared(REQUEST_STRUCTS[name]), doc)
    assert BridgeSettings().max_batch == 50


async def test_every_route_with_a_body_refuses_bad_bodies_as_documented(bridge: Bridge) -> None:
    alice = await link(bridge, "alice")
    credentials = Credentials(bridge, alice.token, asyncio.get_running_loop(), overlay_key="")
    spec = yaml.safe_load(DOC.read_text())

    def prepare(case: Any, body: bytes) -> dict[str, str]:
        headers: dict[str, str] = credentials.prepare(case)["headers"]
        return headers

    seen = await asyncio.to_thread(bad_bodies, spec, bridge.url, prepare)
    expected = {name: status for name, _, _, status in BAD_BODIES}
    assert seen == dict.fromkeys(seen, expected)
    with_body = {
        f"{method.upper()} {path}"
        for path, ops in spec["paths"].items()
        for method, op in ops.items()
        if "requestBody" in op
    }
    assert set(seen) == with_body  # link, rolls, chat, roll, the lease, parse failures, /v1


def _conforms(spec: dict[str, Any], label: str, url: str, headers: dict[str, str]) -> int:
    """Send one case of `label` and validate its answer; return its status."""
    operation = schemathesis.openapi.from_dict(spec).find_operation_by_label(label)
    assert operation is not None
    case = operation.Case()
    response = case.call(base_url=url, headers=headers, timeout=10)
    case.validate_response(response, checks=list(CHECKS), headers=headers)
    return int(response.status_code)


async def test_a_rate_limited_answer_is_as_documented(outbox: Outbox) -> None:
    settings = dataclasses.replace(SETTINGS, rate_burst=1, rate_per_second=0.1)
    store, bus = MemoryStore(), InMemoryBus()
    app = create_app(settings, reporter=outbox, bus=bus, store=store)
    async with serve(app) as url, httpx2.AsyncClient(timeout=5) as http:
        alice = await link(Bridge(url, store, http, bus, app), "alice")
        spec = yaml.safe_load(DOC.read_text())
        statuses = [
            await asyncio.to_thread(_conforms, spec, "GET /vtt/accounts/me", url, alice.auth)
            for _ in range(2)
        ]
        limited = await http.get(f"{url}/vtt/accounts/me", headers=alice.auth)
    await bus.aclose()
    assert statuses == [200, 429]
    assert int(limited.headers["Retry-After"]) >= 1
