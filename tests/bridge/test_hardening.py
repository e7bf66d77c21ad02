"""Limits and failure paths: bounded work, bad numbers, Core down, stream caps, memory."""

from __future__ import annotations

import asyncio
import dataclasses
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest

from bridge.app import create_app
from bridge.bus import InMemoryBus
from bridge.bus_redis import valid_id
from bridge.errors import FormatError
from bridge.events import CONTROL_TOPIC, TOKEN_REVOKED
from bridge.formats.common import integer
from bridge.links import unlink_user
from bridge.settings import BridgeSettings
from bridge.store import MemoryStore
from bridge.streams import REVOKED_MAX, RecentSet, StreamRegistry
from core_client import Event, Outbox, OutboxFullError
from tests.bridge.conftest import SETTINGS, Bridge, link
from tests.support.servers import serve

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


@pytest.fixture
def bridge_settings() -> BridgeSettings:
    return dataclasses.replace(SETTINGS, max_streams_per_token=2, rate_burst=100)


class FlakyReporter:
    """The outbox, or a full outbox while `failing` is set."""

    def __init__(self, inner: Outbox) -> None:
        self.inner = inner
        self.failing = False
        self.refused: list[Event] = []

    async def put(self, event: Event) -> None:
        if self.failing:
            self.refused.append(event)
            raise OutboxFullError("the outbox holds 100000 events, its maximum")
        await self.inner.put(event)


@pytest.fixture
def flaky(outbox: Outbox) -> FlakyReporter:
    return FlakyReporter(outbox)


@pytest.fixture
async def flaky_bridge(
    flaky: FlakyReporter, bridge_settings: BridgeSettings
) -> AsyncIterator[Bridge]:
    bus = InMemoryBus(history_per_topic=bridge_settings.history_per_topic)
    store = MemoryStore()
    app = create_app(bridge_settings, reporter=flaky, bus=bus, store=store)
    async with serve(app) as url, httpx2.AsyncClient(timeout=5) as http:
        yield Bridge(url, store, http, bus, app)
    await bus.aclose()


def b20_roll(damages: int, **extra: object) -> dict[str, object]:
    payload = {"action": "roll", "name": "Fireball", "damages": ["1d6"] * damages, **extra}
    return {"format": "beyond20.roll", "payload": payload}


# 2. Bounded work per request


@pytest.mark.parametrize(
    ("extra", "field"),
    [({}, "payload.damages[10]"), ({"to-hit": "+5"}, "payload.damages[9]")],
)
async def test_a_beyond20_roll_asks_for_at_most_ten_rolls(
    bridge: Bridge, extra: dict[str, object], field: str
) -> None:
    alice = await link(bridge, "alice", platform="beyond20")
    response = await alice.post("/vtt/rolls", {"game_id": "g1", **b20_roll(1000, **extra)})
    assert response.status_code == 422
    error = response.json()["error"]
    assert (error["code"], error["field"]) == ("too_many_rolls", field)
    ok = await alice.post("/vtt/rolls", {"game_id": "g1", **b20_roll(10)})
    assert ok.status_code == 202
    assert len(ok.json()["results"][0]["events"]) == 10


async def test_a_beyond20_formula_is_bounded_in_length(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="beyond20")
    body = {"game_id": "g1", "format": "beyond20.roll"}
    payload = {"action": "roll", "roll": "1+" * 600 + "1"}
    response = await alice.post("/vtt/rolls", body | {"payload": payload})
    assert (response.status_code, response.json()["error"]["field"]) == (422, "payload.roll")


async def test_a_batch_rolls_at_most_fifty_expressions_and_rejects_the_rest(
    bridge: Bridge,
) -> None:
    alice = await link(bridge, "alice", platform="beyond20")
    items = [b20_roll(10) for _ in range(4)] + [b20_roll(11), b20_roll(10), b20_roll(1)] * 2
    response = await alice.post("/vtt/rolls", {"game_id": "g1", "items": items})
    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["status"] for r in results] == ["accepted"] * 4 + [
        "rejected",  # 11 rolls: over the per-item cap, costs nothing
        "accepted",  # 50 rolled so far
        "rejected",
        "rejected",
        "rejected",
        "rejected",
    ]
    assert [r["error"]["code"] for r in results if "error" in r] == ["too_many_rolls"] * 5
    assert sum(len(r.get("events", [])) for r in results) == 50


async def test_a_batch_relays_a_bounded_number_of_records(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="beyond20")
    rendered = fixture("beyond20_rendered_roll.json")
    rendered["damage_rolls"] = rendered["damage_rolls"] * 3  # 1 attack + 6 damage records
    items = [
        {"format": "beyond20.rendered_roll", "payload": rendered | {"id": f"b20-{i}"}}
        for i in range(50)
    ]
    response = await alice.post("/vtt/rolls", {"game_id": "g1", "items": items})
    assert response.status_code == 202
    statuses = [r["status"] for r in response.json()["results"]]
    assert statuses == ["accepted"] * 35 + ["rejected"] * 15  # 35 * 7 = 245 of 250
    assert response.json()["results"][-1]["error"]["code"] == "too_many_records"


# 3. Digits that are not ASCII digits, and digits too many


@pytest.mark.parametrize("value", ["²", "-²", "1²", "--5", "9" * 5000, "٣"])
def test_integer_refuses_non_ascii_and_overlong_digits(value: str) -> None:
    with pytest.raises(FormatError):
        integer(value, "payload.n")


@pytest.mark.parametrize(("value", "expected"), [("12", 12), (" -7 ", -7), (3.0, 3)])
def test_integer_still_reads_plain_numbers(value: object, expected: int) -> None:
    assert integer(value, "payload.n") == expected


async def test_a_superscript_number_is_a_422_not_a_500(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="beyond20")
    body = {"game_id": "g1", **b20_roll(1, advantage="²")}
    response = await alice.post("/vtt/rolls", body)
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "payload.advantage"


@pytest.mark.parametrize("seq", ["²", "1²", "9" * 5000, "٣"])
async def test_a_bad_last_event_id_is_an_unknown_id(seq: str) -> None:
    bus = InMemoryBus()
    await bus.publish("t", "roll", {"n": 1})
    async with bus.subscribe(["t"], last_event_id=f"{bus._epoch}-{seq}") as sub:
        events = await sub.batch()
    assert ([e.data["n"] for e in events or []], sub.recovered) == ([1], False)


async def test_a_superscript_last_event_id_resets_the_stream(bridge: Bridge) -> None:
    mira = await link(bridge, "mira", platform="foundry")
    async with mira.stream(last_event_id=f"{bridge.bus._epoch}-²", in_query=True) as sse:
        assert (await sse.next()).event == "stream.reset"


@pytest.mark.parametrize("event_id", ["²-0", "1-²", "٣-1", "1-" + "9" * 50])
def test_redis_ids_must_be_ascii_digits(event_id: str) -> None:
    assert not valid_id(event_id)


def test_redis_ids_still_accept_stream_ids() -> None:
    assert valid_id("1700000000000-3")
    assert valid_id("1700000000000")


# 4. Core unavailable


async def test_a_full_outbox_is_a_503_and_a_retry_is_not_a_duplicate(
    flaky_bridge: Bridge, flaky: FlakyReporter
) -> None:
    alice = await link(flaky_bridge, "alice", platform="roll20")
    chat = {"game_id": "g1", "text": "hi", "source_id": "m-1"}
    roll = {"game_id": "g1", "format": "roll20.chat", "payload": fixture("roll20_rollresult.json")}
    flaky.failing = True
    for path, body in (("/vtt/chat", chat), ("/vtt/rolls", roll), ("/vtt/roll", None)):
        body = body or {"game_id": "g1", "expression": "1d20"}
        response = await alice.post(path, body)
        assert response.status_code == 503, response.text
        assert response.json()["error"]["code"] == "core_unavailable"
        assert int(response.headers["retry-after"]) > 0
    flaky.failing = False
    assert (await alice.post("/vtt/chat", chat)).json()["results"][0]["status"] == "accepted"
    assert (await alice.post("/vtt/rolls", roll)).json()["results"][0]["status"] == "accepted"
    assert (await alice.post("/vtt/rolls", roll)).json()["results"][0]["status"] == "duplicate"


async def test_linking_succeeds_when_core_cannot_take_the_report(
    flaky_bridge: Bridge, flaky: FlakyReporter
) -> None:
    flaky.failing = True
    alice = await link(flaky_bridge, "alice", platform="roll20")  # asserts 201
    flaky.failing = False
    me = await flaky_bridge.http.get(f"{flaky_bridge.url}/vtt/accounts/me", headers=alice.auth)
    assert me.status_code == 200
    assert [e.type for e in flaky.refused] == ["vtt.account_linked"]


async def test_unlink_closes_every_stream_even_when_reports_fail(
    flaky_bridge: Bridge, flaky: FlakyReporter
) -> None:
    roll20 = await link(flaky_bridge, "alice", platform="roll20")
    foundry = await link(flaky_bridge, "alice", platform="foundry")
    flaky.failing = True
    async with (
        roll20.stream() as a,
        foundry.stream() as b,
        flaky_bridge.bus.subscribe([CONTROL_TOPIC]) as control,
    ):
        revoked = await unlink_user(flaky_bridge.store, flaky_bridge.bus, flaky, "alice", "c1")
        assert len(revoked) == 2
        assert (await a.next()).event == "stream.revoked"
        assert (await b.next()).event == "stream.revoked"
        seen = [control.queue.get_nowait() for _ in range(2)]
    assert {e.data["token_id"] for e in seen if e.type == TOKEN_REVOKED} == {
        roll20.grant["token_id"],
        foundry.grant["token_id"],
    }
    assert len(flaky.refused) == 2


# 5. Streams per token


async def test_a_token_holds_a_bounded_number_of_streams(bridge: Bridge) -> None:
    alice = await link(bridge, "alice")
    bob = await link(bridge, "bob")
    async with alice.stream(), alice.stream():
        ticket = (await alice.post("/vtt/stream-tickets", {})).json()["ticket"]
        refused = await bridge.http.get(f"{bridge.url}/vtt/stream?ticket={ticket}")
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "too_many_streams"
        assert "retry-after" in refused.headers
        async with bob.stream():
            pass  # another token is not affected
    for _ in range(50):  # the server notices the closed streams
        if len(bridge.app.state.services.streams) == 0:  # type: ignore[union-attr]
            break
        await asyncio.sleep(0.05)
    async with alice.stream():
        pass


# 6. Revocations are remembered for a while, not forever


async def test_revoked_token_ids_expire_and_are_bounded() -> None:
    registry = StreamRegistry(revoked_seconds=0.05)
    registry.revoke("tok-1")
    assert "tok-1" in registry.revoked
    await asyncio.sleep(0.1)
    assert "tok-1" not in registry.revoked
    assert len(registry.revoked) == 0


def test_recent_set_holds_at_most_its_size() -> None:
    recent = RecentSet(ttl=60, size=3)
    for i in range(5):
        recent.add(f"t{i}")
    assert len(recent) == 3
    assert "t0" not in recent
    assert "t4" in recent
    registry = StreamRegistry()
    for i in range(REVOKED_MAX + 10):
        registry.revoke(f"tok-{i}")
    assert len(registry.revoked) == REVOKED_MAX


# 7. Topics nobody uses again are forgotten


async def test_idle_topics_are_dropped_once_their_events_expire() -> None:
    bus = InMemoryBus(history_seconds=0.05)
    old = [await bus.publish(f"game:{i}", "roll", {"n": i}) for i in range(10)]
    await asyncio.sleep(0.1)
    fresh = await bus.publish("game:live", "roll", {"n": 99})
    assert set(bus._history) == {"game:live"}
    assert set(bus._evicted) <= {"game:live"}
    # A resume point in a dropped topic is still told it was not recovered.
    async with bus.subscribe(["game:3"], last_event_id=old[2].id) as sub:
        assert not sub.recovered
    async with bus.subscribe(["game:live", "game:new"], last_event_id=fresh.id) as sub:
        assert sub.recovered
