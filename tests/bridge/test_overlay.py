"""The stream overlay over real HTTP: keys, the page, the feed, revocation, and nothing more."""

from __future__ import annotations

import json
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.routing import Route

from bridge.app import create_app
from bridge.bus import InMemoryBus
from bridge.events import Origin, game_topic, roll_event
from bridge.overlay.feed import announce_revoked
from bridge.overlay.keys import (
    authenticate_overlay,
    create_overlay_key,
    digest,
    list_overlay_keys,
    revoke_overlay_key,
)
from bridge.settings import BridgeSettings, public_base_url, public_url
from bridge.store import MemoryStore
from bridge.store_sqlite import SqliteStore
from core_client import DiceGroup, Die, Outbox, Platform, RollRecord, Visibility
from core_client.contract.enums import Comparison, Reads
from core_client.contract.rules import Rule
from core_client.settings import Invalid
from tests.bridge.conftest import SETTINGS, Bridge, link
from tests.support.servers import serve
from tests.support.sse import SSEStream, open_stream

FIXTURES = Path(__file__).parent / "fixtures"
CARD_KEYS = {
    "roll_id", "roller", "formula", "total", "platform", "groups", "label", "crit", "fumble", "at",
}  # fmt: skip


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


def roll20(name: str) -> dict[str, Any]:
    return {"game_id": "g1", "format": "roll20.chat", "payload": fixture(name)}


def d20(value: int, *, visibility: Visibility = Visibility.PUBLIC, **extra: Any) -> RollRecord:
    group = DiceGroup("1d20", 20, (Die(20, value),))
    return RollRecord(
        platform=Platform.DISCORD,
        campaign_id="c1",
        formula="1d20",
        total=value,
        groups=(group,),
        actor_name="Mira",
        visibility=visibility,
        **extra,
    )


async def discord_roll(bridge: Bridge, record: RollRecord, game: str = "g1") -> str:
    """Publish a roll as the bot relays a Discord roll: on the game's topic."""
    origin = Origin(Platform.DISCORD, user_id="mira", user_name="Mira")
    data = roll_event(record, origin, game_id=game)
    return (await bridge.bus.publish(game_topic("c1", game), "roll", data)).id


@asynccontextmanager
async def feed(
    bridge: Bridge, key: str, headers: dict[str, str] | None = None
) -> AsyncIterator[SSEStream]:
    url = f"{bridge.url}/overlay/{key}/events"
    async with open_stream(bridge.http, url, headers=headers) as sse:
        assert (await sse.next()).event == "hello"
        yield sse


async def next_card(sse: SSEStream) -> tuple[str | None, dict[str, Any]]:
    while (message := await sse.next()).event == "ping":
        continue
    assert message.event == "roll", message
    return message.id, message.json()


async def test_the_feed_shows_public_rolls_with_their_dice_and_never_private_ones(
    bridge: Bridge,
) -> None:
    key, _ = await create_overlay_key(bridge.store, "c1", ["g1"], "gm")
    alice = await link(bridge, "alice", platform="roll20")
    public = roll20("roll20_rollresult.json")
    gm_roll = roll20("roll20_gmrollresult.json")
    async with feed(bridge, key) as sse:
        assert (await alice.post("/vtt/rolls", gm_roll)).status_code == 202
        await discord_roll(bridge, d20(7, visibility=Visibility.GM))
        await discord_roll(bridge, d20(8, visibility=Visibility.PRIVATE))
        await discord_roll(bridge, d20(9), game="another-game")  # not the key's game
        assert (await alice.post("/vtt/rolls", public)).status_code == 202
        await discord_roll(bridge, d20(20, crit=True))
        first_id, first = await next_card(sse)
        _, second = await next_card(sse)
    assert set(first) == CARD_KEYS  # no user ids, no raw payload, no audience
    assert (first["roller"], first["total"], first["platform"]) == ("Alice the Bold", 23, "roll20")
    assert [(d["value"], d["kept"]) for d in first["groups"][0]["dice"]] == [(18, True), (3, False)]
    assert (first["crit"], first["fumble"]) == (False, False)
    assert (second["roller"], second["total"], second["crit"]) == ("Mira", 20, True)
    assert first_id is not None


async def test_the_feed_resumes_after_last_event_id(bridge: Bridge) -> None:
    key, _ = await create_overlay_key(bridge.store, "c1", ["g1"], "gm")
    async with feed(bridge, key) as sse:
        await discord_roll(bridge, d20(4))
        seen_id, _ = await next_card(sse)
    missed = await discord_roll(bridge, d20(5))
    assert seen_id is not None
    ways = [({"Last-Event-ID": seen_id}, ""), (None, f"?last_event_id={seen_id}")]
    for headers, query in ways:
        url = f"{bridge.url}/overlay/{key}/events{query}"
        async with open_stream(bridge.http, url, headers=headers) as sse:
            assert (await sse.next()).event == "hello"
            event_id, card = await next_card(sse)
        assert (event_id, card["total"]) == (missed, 5)


async def test_a_feed_cut_before_its_first_roll_resumes_from_its_hello(bridge: Bridge) -> None:
    key, _ = await create_overlay_key(bridge.store, "c1", ["g1"], "gm")
    url = f"{bridge.url}/overlay/{key}/events"
    async with open_stream(bridge.http, url) as sse:
        hello = await sse.next()
    assert hello.event == "hello"
    assert hello.id is not None  # where the fresh feed joined
    missed = await discord_roll(bridge, d20(6))  # while the overlay is away
    async with open_stream(bridge.http, url, headers={"Last-Event-ID": hello.id}) as sse:
        resumed = await sse.next()
        event_id, card = await next_card(sse)
    assert (resumed.event, resumed.id) == ("hello", None)  # a resume keeps the client's id
    assert (event_id, card["total"]) == (missed, 6)


async def test_the_campaigns_crit_rules_decide_crits_and_fumbles(outbox: Outbox) -> None:
    asked: list[str] = []

    async def rules_in_force(campaign_id: str) -> list[Rule]:  # what Core answers
        asked.append(campaign_id)
        crit = Rule("crit-range-19", (20,), Reads.HIGHEST, Comparison.GE, 19, "crit", 10)
        fumble = Rule("nat-1", (20,), Reads.HIGHEST, Comparison.MIN, 0, "fumble", 10)
        return [crit, fumble]

    bus, store = InMemoryBus(), MemoryStore()
    app = create_app(SETTINGS, reporter=outbox, bus=bus, store=store, crit_rules=rules_in_force)
    key, _ = await create_overlay_key(store, "c1", ["g1"], "gm")
    async with serve(app) as url, httpx2.AsyncClient(timeout=5) as http:
        bridge = Bridge(url, store, http, bus, app)
        async with feed(bridge, key) as sse:
            for value in (19, 1, 12):
                await discord_roll(bridge, d20(value))  # the dice say nothing of crits
            cards = [(await next_card(sse))[1] for _ in range(3)]
    verdicts = [(c["total"], c["crit"], c["fumble"]) for c in cards]
    assert verdicts == [(19, True, False), (1, False, True), (12, False, False)]
    assert asked == ["c1"]  # kept for a while, not asked per roll
    await bus.aclose()


async def test_the_page_comes_with_a_strict_policy_and_no_referrer(bridge: Bridge) -> None:
    key, _ = await create_overlay_key(bridge.store, "c1", ["g1"], "gm")
    page = await bridge.http.get(f"{bridge.url}/overlay/{key}")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    csp = page.headers["content-security-policy"]
    assert "default-src 'none'" in csp
    assert "script-src 'self'" in csp
    assert "unsafe-inline" not in csp
    assert page.headers["cache-control"] == "no-store"
    assert page.headers["referrer-policy"] == "no-referrer"
    assert 'src="assets/overlay.js"' in page.text
    assert "<script>" not in page.text  # nothing inline: the policy would refuse it
    script = await bridge.http.get(f"{bridge.url}/overlay/assets/overlay.js")
    assert script.status_code == 200
    assert script.headers["content-type"].startswith("text/javascript")
    assert (await bridge.http.get(f"{bridge.url}/overlay/assets/overlay.css")).status_code == 200
    missing = await bridge.http.get(f"{bridge.url}/overlay/assets/..%2Fkeys.py")
    assert missing.status_code == 404
    assert missing.json()["error"]["code"] == "not_found"


@pytest.mark.parametrize("path", ["", "/status", "/events"])
async def test_unknown_and_malformed_keys_are_refused(bridge: Bridge, path: str) -> None:
    for key in ("fbo_" + "A" * 43, "not-a-key", "fbt_" + "A" * 43):
        response = await bridge.http.get(f"{bridge.url}/overlay/{key}{path}")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "invalid_overlay_key"


async def test_revoking_a_key_ends_its_feed_and_refuses_it_after(bridge: Bridge) -> None:
    key, record = await create_overlay_key(bridge.store, "c1", ["g1"], "gm")
    other, _ = await create_overlay_key(bridge.store, "c1", ["g1"], "gm")
    assert await revoke_overlay_key(bridge.store, "c2", record.key_id) is None  # not c2's
    async with feed(bridge, key) as sse, feed(bridge, other) as still:
        revoked = await revoke_overlay_key(bridge.store, "c1", record.key_id)
        assert revoked is not None
        await announce_revoked(bridge.bus, revoked)
        ended = await sse.next()
        with pytest.raises(EOFError):
            await sse.next()
        await discord_roll(bridge, d20(6))
        _, card = await next_card(still)  # the campaign's other key is untouched
    assert ended.event == "overlay.revoked"
    assert ended.json() == {"reason": "overlay_key_revoked"}
    assert card["total"] == 6
    for path in ("", "/status", "/events"):
        response = await bridge.http.get(f"{bridge.url}/overlay/{key}{path}")
        assert response.status_code == 401
        assert response.json()["error"]["code"] == "overlay_key_revoked"
    assert [k.key_id for k in await list_overlay_keys(bridge.store, "c1")] != [record.key_id]
    assert record.key_id not in [k.key_id for k in await list_overlay_keys(bridge.store, "c1")]


def _requests(bridge: Bridge, key: str) -> list[tuple[str, str, dict[str, Any]]]:
    """Every /vtt and /v1 route, with the overlay key in every place a credential goes."""
    assert bridge.app is not None
    calls = []
    for route in bridge.app.routes:
        if not isinstance(route, Route) or not route.path.startswith(("/vtt", "/v1")):
            continue
        path = route.path.replace("{campaign_id}", "c1")
        for method in sorted((route.methods or set()) - {"HEAD"}):
            body = {"game_id": "g1", "code": key, "platform": "roll20", "player_id": "p"}
            bearer = {"Authorization": f"Bearer {key}"}
            calls.append((method, path, {"headers": bearer, "json": body}))
            calls.append((method, f"{path}?ticket={key}", {"json": body}))
    return calls


async def test_an_overlay_key_opens_no_vtt_or_v1_route(bridge: Bridge) -> None:
    key, _ = await create_overlay_key(bridge.store, "c1", ["g1"], "gm")
    calls = _requests(bridge, key)
    assert len({path.split("?")[0] for _, path, _ in calls}) >= 9  # every route, not a few
    for method, path, options in calls:
        response = await bridge.http.request(method, bridge.url + path, **options)
        assert response.status_code in (401, 422), (method, path, response.text)
        if response.status_code == 422:  # a route that reads no credential from there
            assert response.json()["error"]["field"] != "code", (method, path)


async def test_keys_are_stored_hashed_and_survive_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "bridge.sqlite3"
    store = await SqliteStore.open(path)
    key, record = await create_overlay_key(store, "c1", ["g1", "g2"], "gm")
    await store.close()
    assert key.encode() not in path.read_bytes()
    assert digest(key).encode() in path.read_bytes()
    reopened = await SqliteStore.open(path)
    try:
        assert await authenticate_overlay(reopened, key) == record
        assert record.games == ("g1", "g2")
    finally:
        await reopened.close()


async def test_the_access_log_never_prints_a_key(
    outbox: Outbox, caplog: pytest.LogCaptureFixture
) -> None:
    bus, store = InMemoryBus(), MemoryStore()
    app = create_app(BridgeSettings(), reporter=outbox, bus=bus, store=store)
    key, _ = await create_overlay_key(store, "c1", ["g1"], "gm")
    with caplog.at_level(logging.INFO, logger="uvicorn.access"):
        async with serve(app) as url, httpx2.AsyncClient(timeout=5) as http:
            assert (await http.get(f"{url}/overlay/{key}")).status_code == 200
            assert (await http.get(f"{url}/overlay/{key}/status")).status_code == 200
            assert (await http.get(f"{url}/overlay/assets/overlay.js")).status_code == 200
    lines = [r.getMessage() for r in caplog.records if r.name == "uvicorn.access"]
    assert len(lines) == 3, lines  # the access log is on, so the check below means something
    assert not [line for line in lines if key in line]
    assert sum("/overlay/<redacted>" in line for line in lines) == 2
    assert any("/overlay/assets/overlay.js" in line for line in lines)
    await bus.aclose()


@pytest.mark.parametrize(
    "url", ["ftp://dice.example.com", "https://u:pw@dice.example.com", "https://d.example.com/?k=1"]
)
def test_the_public_url_must_be_a_plain_http_address(url: str) -> None:
    with pytest.raises(Invalid):
        public_url(url)


def test_the_public_url_defaults_to_where_the_bridge_listens() -> None:
    assert public_base_url(BridgeSettings(port=9000)) == "http://127.0.0.1:9000"
    assert public_base_url(BridgeSettings(host="::1", port=9000)) == "http://[::1]:9000"
    public = BridgeSettings(public_url="https://dice.example.com/fb/")
    assert public_base_url(public) == "https://dice.example.com/fb"
