"""The isolation matrix: every key x two campaigns x every route of Core, as one table.

The routes come from Core's own route table, so a route added without an
entry in `ACCESS` fails `test_every_route_has_an_entry`. Each caller (the
configured admin key, an issued admin and an issued unscoped query key, the
configured and an issued key scoped to campaign A, a stranger, the webhook
signing secret presented as a bearer key, no key at all) calls every route once
naming A's rows and once naming B's; the entry says who may and what a
refusal is (401, 403 or 404). Whatever a scoped key is answered, B's ids and
B's distinctive strings never appear in it. Runs on SQLite and PostgreSQL.
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette
from starlette.routing import Route

from core_client import CampaignUpserted, ChatMessage, CoreClient, Platform
from tests.support.core import SCOPED_KEY, d20_roll


class Access(enum.Enum):
    PUBLIC = "no key needed"
    SIGNED = "a webhook signature, never a bearer key"
    ADMIN = "admin keys only; other keys 403"
    SERVICE = "unscoped keys only; scoped keys 403"
    CAMPAIGN = "names a campaign or a row in one; outside the key's campaigns 404"
    FILTERED = "open to every key; answers only the key's campaigns"


@dataclass(frozen=True, slots=True)
class Entry:
    access: Access
    query: str = ""  # the query string; {campaign} is the campaign of the run
    body: dict[str, Any] | None = None
    foreign: int = 200  # FILTERED: the answer when naming another campaign


CAMPAIGN_PARAM = "?campaign_id={campaign}"
ACCESS: dict[tuple[str, str], Entry] = {
    ("GET", "/health"): Entry(Access.PUBLIC),
    ("GET", "/metrics"): Entry(Access.PUBLIC),
    ("POST", "/webhooks"): Entry(Access.SIGNED, body={}),
    ("GET", "/campaigns"): Entry(Access.FILTERED),
    ("POST", "/campaigns"): Entry(Access.SERVICE, body={"name": "Made"}),
    ("GET", "/campaigns/{id}"): Entry(Access.CAMPAIGN),
    ("PATCH", "/campaigns/{id}"): Entry(Access.CAMPAIGN, body={"version": 0}),
    ("GET", "/campaigns/{id}/context"): Entry(Access.CAMPAIGN),
    ("GET", "/campaigns/{id}/crit-rules"): Entry(Access.CAMPAIGN),
    ("PUT", "/campaigns/{id}/crit-rules/presets/{preset}"): Entry(
        Access.CAMPAIGN, body={"enabled": True}
    ),
    ("POST", "/campaigns/{id}/characters"): Entry(Access.CAMPAIGN, body={"name": "{marker} 2"}),
    ("GET", "/characters/{id}"): Entry(Access.CAMPAIGN),
    ("PATCH", "/characters/{id}"): Entry(Access.CAMPAIGN, body={"version": 0}),
    ("POST", "/campaigns/{id}/game-links"): Entry(Access.CAMPAIGN, body={}),
    ("GET", "/game-links"): Entry(Access.FILTERED, CAMPAIGN_PARAM, foreign=404),
    ("GET", "/game-links/{id}"): Entry(Access.CAMPAIGN),
    ("PATCH", "/game-links/{id}"): Entry(Access.CAMPAIGN, body={"version": 0}),
    ("POST", "/campaigns/{id}/sessions"): Entry(Access.CAMPAIGN, body={"title": "{marker} 2"}),
    ("GET", "/campaigns/{id}/sessions"): Entry(Access.CAMPAIGN),
    ("GET", "/sessions/{id}"): Entry(Access.CAMPAIGN),
    ("PATCH", "/sessions/{id}"): Entry(Access.CAMPAIGN, body={"version": 0}),
    ("GET", "/rolls"): Entry(Access.FILTERED, CAMPAIGN_PARAM),
    ("GET", "/rolls/stats"): Entry(Access.FILTERED, CAMPAIGN_PARAM),
    ("GET", "/changes"): Entry(Access.FILTERED),
    ("GET", "/chat"): Entry(Access.FILTERED, CAMPAIGN_PARAM),
    ("GET", "/ai/usage"): Entry(Access.SERVICE, "?since=2000-01-01T00:00:00Z&guild_id=1"),
    ("POST", "/keys"): Entry(Access.ADMIN, body={}),
    ("GET", "/keys"): Entry(Access.ADMIN),
    ("DELETE", "/keys/{id}"): Entry(Access.ADMIN),
}
# Routes other branches add; an entry here may name a route not (yet) served.
EXPECTED_ELSEWHERE = {("GET", "/openapi.json"): Entry(Access.PUBLIC)}
ACCESS.update(EXPECTED_ELSEWHERE)

ADMIN, ISSUED_ADMIN, QUERY, SCOPED, ISSUED_SCOPED = (
    "admin",
    "issued-admin",
    "query",
    "scoped",
    "issued-scoped",
)
STRANGER, SECRET, NOBODY = "stranger", "webhook-secret", "nobody"
CALLERS = [ADMIN, ISSUED_ADMIN, QUERY, SCOPED, ISSUED_SCOPED, STRANGER, SECRET, NOBODY]
ADMINS = {ADMIN, ISSUED_ADMIN}
UNSCOPED = {*ADMINS, QUERY}
REFUSED = {STRANGER, SECRET, NOBODY}  # no bearer key Core knows
MARKERS = {"A": "Alpha-Tuesday-Table", "B": "Bravo-Friday-Table"}


def _routes(app: Starlette) -> set[tuple[str, str]]:
    found = set()
    for route in app.routes:
        assert isinstance(route, Route)
        for method in (route.methods or set()) - {"HEAD"}:
            found.add((method, route.path))
    return found


async def test_every_route_has_an_entry(core_app: Starlette) -> None:
    served = _routes(core_app)
    assert served - ACCESS.keys() == set(), "add the new route to ACCESS"
    assert ACCESS.keys() - served <= EXPECTED_ELSEWHERE.keys(), "ACCESS names a removed route"


@dataclass
class World:
    """Two campaigns' rows, and a key for each caller."""

    ids: dict[str, dict[str, str]]  # "A"/"B" -> {"campaign": id, "character": id, ...}
    keys: dict[str, str | None]
    target_key: str  # an issued key the DELETE row revokes

    def foreign_strings(self) -> list[str]:
        return [MARKERS["B"], *self.ids["B"].values()]


async def _row(http: httpx2.AsyncClient, admin: str, path: str, body: dict[str, Any]) -> str:
    response = await http.post(path, json=body, headers=_as(admin))
    assert response.status_code == 201, response.text
    return str(response.json()["id"])


def _as(key: str | None) -> dict[str, str]:
    return {} if key is None else {"Authorization": f"Bearer {key}"}


@pytest.fixture
async def world(
    core_client: CoreClient, core_http: httpx2.AsyncClient, core_api_key: str, webhook_secret: str
) -> World:
    ids: dict[str, dict[str, str]] = {}
    for name, key in (("A", "guild:1"), ("B", "guild:2")):
        marker = MARKERS[name]
        await core_client.deliver(
            [
                CampaignUpserted(key=key, name=marker).event(),
                d20_roll(7, key, character=marker),
                ChatMessage(key, Platform.DISCORD, marker, author_name=marker).event(),
            ]
        )
        campaign = await core_client.campaign_by_key(key)
        assert campaign is not None
        cid = campaign["id"]
        ids[name] = {
            "campaign": cid,
            "character": await _row(
                core_http, core_api_key, f"/campaigns/{cid}/characters", {"name": marker}
            ),
            "game_link": await _row(
                core_http, core_api_key, f"/campaigns/{cid}/game-links", {"vtt_game_id": marker}
            ),
            "session": await _row(
                core_http, core_api_key, f"/campaigns/{cid}/sessions", {"title": marker}
            ),
        }
    issued: dict[str, str] = {}
    for who, body in (
        (ISSUED_ADMIN, {"role": "admin"}),
        (QUERY, {}),
        (ISSUED_SCOPED, {"campaigns": [ids["A"]["campaign"]]}),
        ("target", {"label": "revoked by the matrix"}),
    ):
        response = await core_http.post("/keys", json=body, headers=_as(core_api_key))
        assert response.status_code == 201, response.text
        issued[who] = response.json()["key"]
        ids.setdefault("keys", {})[who] = response.json()["id"]
    keys = {
        ADMIN: core_api_key,
        ISSUED_ADMIN: issued[ISSUED_ADMIN],
        QUERY: issued[QUERY],
        SCOPED: SCOPED_KEY,
        ISSUED_SCOPED: issued[ISSUED_SCOPED],
        STRANGER: "fbk_" + "0" * 32 + "_not-a-key",
        SECRET: webhook_secret,  # signs reports; never a bearer key
        NOBODY: None,
    }
    return World(ids, keys, issued["target"])


def _target(path: str, world: World, name: str) -> str:
    """Fill a route's path with campaign `name`'s rows."""
    rows = world.ids[name]
    by_prefix = {
        "/campaigns/": rows["campaign"],
        "/characters/": rows["character"],
        "/game-links/": rows["game_link"],
        "/sessions/": rows["session"],
        "/keys/": world.ids["keys"]["target"],
    }
    for prefix, row in by_prefix.items():
        if path.startswith(prefix):
            path = path.replace("{id}", row)
    return path.replace("{preset}", "crit-range-19")


def _expected(entry: Entry, caller: str, own: bool) -> int | None:
    """Return the status a caller must get, or None for 'allowed' (2xx)."""
    if entry.access is Access.PUBLIC:
        return None
    if entry.access is Access.SIGNED or caller in REFUSED:
        return 401
    if entry.access is Access.ADMIN:
        return None if caller in ADMINS else 403
    if entry.access is Access.SERVICE:
        return None if caller in UNSCOPED else 403
    if caller in UNSCOPED or own:
        return None
    return (
        404
        if entry.access is Access.CAMPAIGN
        else (entry.foreign if entry.foreign != 200 else None)
    )


async def _version(http: httpx2.AsyncClient, admin: str, path: str) -> int:
    response = await http.get(path, headers=_as(admin))
    return int(response.json()["version"])


@pytest.mark.parametrize("caller", CALLERS)
async def test_each_key_reaches_only_its_campaigns_on_every_route(
    core_app: Starlette,
    core_http: httpx2.AsyncClient,
    core_api_key: str,
    world: World,
    caller: str,
) -> None:
    key = world.keys[caller]
    for (method, path), entry in sorted(ACCESS.items()):
        if (method, path) not in _routes(core_app):
            continue
        for name in ("A", "B"):
            url = _target(path, world, name) + entry.query.format(
                campaign=world.ids[name]["campaign"]
            )
            body = _body(entry, name)
            if body is not None and "version" in body:
                body["version"] = await _version(core_http, core_api_key, url)
            response = await core_http.request(method, url, json=body, headers=_as(key))
            expected = _expected(entry, caller, own=name == "A")
            where = (caller, method, url, response.text[:300])
            if expected is None:
                assert 200 <= response.status_code < 300, where
            else:
                assert response.status_code == expected, where
            if caller not in UNSCOPED and caller not in REFUSED:
                for foreign in world.foreign_strings():
                    assert foreign not in response.text, (foreign, *where)


def _body(entry: Entry, name: str) -> dict[str, Any] | None:
    if entry.body is None:
        return None
    return {
        k: v.replace("{marker}", MARKERS[name]) if isinstance(v, str) else v
        for k, v in entry.body.items()
    }


async def test_the_matrix_can_fail_a_scoped_key_that_sees_too_much(
    core_http: httpx2.AsyncClient, core_api_key: str, world: World
) -> None:
    # The control: the admin key's answers do hold B's strings, so the check
    # above would catch a scoped key answered the same.
    listed = await core_http.get("/campaigns", headers=_as(core_api_key))
    assert all(s in listed.text for s in (MARKERS["B"], world.ids["B"]["campaign"]))
