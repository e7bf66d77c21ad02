"""Rolls and chat through /vtt: conversion, audience, echo and dedup, Core."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import pytest
from starlette.applications import Starlette

from bridge.events import CHAT, Origin, Viewer, chat_event, game_topic, visible_to
from core_client import Outbox
from storage.models import ChatMessage
from tests.bridge.conftest import Bridge, link
from tests.support.core import rows, stored_rolls
from tests.support.sse import SSEStream

FIXTURES = Path(__file__).parent / "fixtures"


def fixture(name: str) -> Any:
    return json.loads((FIXTURES / name).read_text())


async def nothing_arrives(sse: SSEStream, wait: float = 0.3) -> None:
    with pytest.raises(TimeoutError):
        await sse.next(timeout=wait)


async def test_a_vtt_roll_reaches_other_vtts_and_core_but_not_its_own_vtt(
    bridge: Bridge, outbox: Outbox, core_app: Starlette
) -> None:
    alice = await link(bridge, "alice", platform="roll20")
    bob = await link(bridge, "bob", platform="roll20")
    mira = await link(bridge, "mira", platform="foundry")
    body = {"game_id": "g1", "format": "roll20.chat", "payload": fixture("roll20_rollresult.json")}
    async with alice.stream() as a, bob.stream() as b, mira.stream() as m:
        response = await alice.post("/vtt/rolls", body)
        assert response.status_code == 202, response.text
        [result] = response.json()["results"]
        got = await m.next()
        await nothing_arrives(a)  # its own roll
        await nothing_arrives(b)  # Roll20 already shows it to Bob
    assert result["status"] == "accepted"
    assert got.event == "roll"
    assert got.id == result["events"][0]["event_id"]
    data = got.json()
    assert data["roll"]["total"] == 23
    assert data["origin"] | {"client_id": None} == {
        "platform": "roll20",
        "user_id": "alice",
        "user_name": "Alice",
        "client_id": None,
        "source_id": "-NjQ3xZ8kq2Lr4tYvB1a",
    }
    assert await outbox.flush()
    [stored] = await stored_rolls(core_app)
    assert (stored.platform, stored.total) == ("roll20", 23.0)
    assert [d["kept"] for d in stored.groups[0]["dice"]] == [True, False]


async def test_gm_rolls_and_whispers_reach_only_the_gm(bridge: Bridge) -> None:
    player = await link(bridge, "alice", platform="roll20")
    other = await link(bridge, "bob", platform="foundry")
    gm = await link(bridge, "gm", platform="owlbear", gm=True)
    gm_roll = {
        "game_id": "g1",
        "format": "roll20.chat",
        "payload": fixture("roll20_gmrollresult.json"),
    }
    whisper = {"game_id": "g1", "text": "psst", "whisper_to": ["carol"]}
    async with other.stream() as o, gm.stream() as g:
        assert (await player.post("/vtt/rolls", gm_roll)).status_code == 202
        assert (await player.post("/vtt/chat", whisper)).status_code == 202
        assert (await g.next()).json()["audience"] == {"gm_only": False, "users": []}
        assert (await g.next()).json()["chat"] == {"speaker": "Alice", "text": "psst"}
        await nothing_arrives(o)


async def test_public_chat_is_kept_in_core_and_whispers_are_not(
    bridge: Bridge, outbox: Outbox, core_app: Starlette
) -> None:
    player = await link(bridge, "alice", platform="roll20")
    lines = [
        {"game_id": "g1", "text": "Onwards!"},
        {"game_id": "g1", "text": "psst", "whisper_to": ["carol"]},
        {"game_id": "g1", "text": "for the GM", "gm_only": True},
    ]
    for line in lines:
        assert (await player.post("/vtt/chat", line)).status_code == 202
    assert await outbox.flush()
    # Core's chat has no audience and feeds the public /recap: whispers stay out.
    assert [m.text for m in await rows(core_app, ChatMessage)] == ["Onwards!"]


async def test_a_bad_item_gets_its_own_error_and_the_batch_goes_on(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="foundry")
    items = [
        {"format": "foundry.roll", "payload": fixture("foundry_roll.json")},
        {"format": "foundry.roll", "payload": {"class": "Roll", "terms": []}},
        {"format": "nope", "payload": {}},
        {"payload": {}},
        {"format": "owlbear.dice", "payload": fixture("owlbear_dice.json")},
    ]
    response = await alice.post("/vtt/rolls", {"game_id": "g1", "items": items})
    assert response.status_code == 202
    results = response.json()["results"]
    assert [r["status"] for r in results] == [
        "accepted",
        "rejected",
        "rejected",
        "rejected",
        "accepted",
    ]
    assert results[1]["error"]["field"] == "payload.total"
    assert results[2]["error"]["field"] == "format"
    assert results[3]["error"] == {
        "code": "invalid_request",
        "message": "items[3].format: is required",
        "field": "items[3].format",
    }
    assert results[4]["events"][0]["total"] == 119


async def test_a_single_bad_roll_is_a_422_naming_the_field(bridge: Bridge) -> None:
    alice = await link(bridge, "alice")
    bad = {"type": "rollresult", "content": "{oops"}
    response = await alice.post(
        "/vtt/rolls", {"game_id": "g1", "format": "roll20.chat", "payload": bad}
    )
    assert response.status_code == 422
    assert response.json()["error"]["field"] == "payload.content"


async def test_echoes_and_repeats_are_not_published_again(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="roll20")
    bob = await link(bridge, "bob", platform="roll20")
    gm = await link(bridge, "gm", platform="foundry", gm=True)
    body = {"game_id": "g1", "format": "roll20.inline", "payload": fixture("roll20_inline.json")}
    async with gm.stream() as g:
        first = await alice.post("/vtt/rolls", body)
        repeat = await bob.post("/vtt/rolls", body)  # Bob's extension saw the same message
        echo = await bob.post("/vtt/chat", {"game_id": "g1", "text": "hi", "echo_of": "x-1"})
        assert [(await g.next()).json()["roll"]["total"] for _ in range(2)] == [25, 9]
        await nothing_arrives(g)
    assert first.status_code == 202
    assert (repeat.status_code, repeat.json()["results"][0]["status"]) == (200, "duplicate")
    assert (echo.status_code, echo.json()["results"][0]["status"]) == (200, "echo")


async def test_discord_messages_reach_the_extensions_and_vtt_chat_reaches_the_bot(
    bridge: Bridge,
) -> None:
    alice = await link(bridge, "alice", platform="roll20")
    topic = game_topic("c1", "g1")
    bot = Viewer(platform="discord", gm=True)
    async with bridge.bus.subscribe([topic]) as bot_feed, alice.stream() as a:
        discord = Origin("discord", "u-99", "Dana", source_id="1234567890")
        data = chat_event("c1", "g1", discord, speaker="Dana", text="hello table")
        await bridge.bus.publish(topic, CHAT, data)
        assert (await a.next()).json()["chat"]["text"] == "hello table"
        await alice.post("/vtt/chat", {"game_id": "g1", "text": "hi discord", "source_id": "-Nm1"})
        seen = [await asyncio.wait_for(bot_feed.queue.get(), 2) for _ in range(2)]
    relayed = [e.data["chat"]["text"] for e in seen if visible_to(e.data, bot)]
    assert relayed == ["hi discord"]  # the bot skips Discord's own message


async def test_server_rolls_reach_every_extension_and_core(
    bridge: Bridge, outbox: Outbox, core_app: Starlette
) -> None:
    alice = await link(bridge, "alice", platform="owlbear")
    bob = await link(bridge, "bob", platform="owlbear")
    async with alice.stream() as a, bob.stream() as b:
        response = await alice.post("/vtt/roll", {"game_id": "g1", "expression": "4d6kh3 Strength"})
        assert response.status_code == 201, response.text
        got_a, got_b = await a.next(), await b.next()
    assert got_a.json() == got_b.json()
    data = got_a.json()
    assert data["authoritative"] is True
    assert data["origin"]["platform"] == "bridge"
    assert data["roll"]["total"] == response.json()["total"]
    assert [d["kept"] for d in data["roll"]["groups"][0]["dice"]].count(False) == 1
    assert await outbox.flush()
    [stored] = await stored_rolls(core_app)
    assert stored.platform == "bridge"


async def test_a_beyond20_roll_request_is_rolled_by_the_bridge(bridge: Bridge) -> None:
    alice = await link(bridge, "alice", platform="beyond20")
    body = {"game_id": "g1", "format": "beyond20.roll", "payload": fixture("beyond20_roll.json")}
    response = await alice.post("/vtt/rolls", body)
    assert response.status_code == 202
    assert len(response.json()["results"][0]["events"]) == 2


@pytest.mark.parametrize(
    ("body", "status", "code"),
    [
        ({"game_id": "g1", "expression": "1d"}, 422, "invalid_expression"),
        ({"game_id": "other", "expression": "1d6"}, 403, "game_not_linked"),
        ({"game_id": "g1", "expression": "1d6", "colour": "red"}, 422, "invalid_request"),
    ],
)
async def test_server_roll_refusals(bridge: Bridge, body: object, status: int, code: str) -> None:
    alice = await link(bridge, "alice")
    response = await alice.post("/vtt/roll", body)
    assert (response.status_code, response.json()["error"]["code"]) == (status, code)
