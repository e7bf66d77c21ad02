"""Several players of one Roll20 game run the extension: each message reaches others once.

Every player's browser sees every Roll20 message, so each extension posts
it, with the Roll20 `data-messageid` as the stable id; the bridge relays the
first and answers `duplicate` to the rest, whichever token posts them.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from tests.bridge.conftest import Bridge, link
from tests.support.sse import SSEStream

FIXTURES = Path(__file__).parent / "fixtures"


def scrape(name: str) -> dict[str, object]:
    return dict(json.loads((FIXTURES / name).read_text()))


async def nothing_more(sse: SSEStream) -> bool:
    try:
        await sse.next(timeout=0.3)
    except TimeoutError:
        return True
    return False


async def test_two_players_posting_one_roll20_roll_relay_it_once(bridge: Bridge) -> None:
    alice, bob = await link(bridge, "alice"), await link(bridge, "bob")
    watcher = await link(bridge, "mira", platform="foundry", gm=True)
    body = {"game_id": "g1", "format": "roll20.scrape", "payload": scrape("roll20_scrape.json")}
    async with watcher.stream() as sse:
        first, second = await asyncio.gather(
            alice.post("/vtt/rolls", body), bob.post("/vtt/rolls", body)
        )
        statuses = sorted(r.json()["results"][0]["status"] for r in (first, second))
        got = await sse.next()
        assert await nothing_more(sse)
    assert statuses == ["accepted", "duplicate"]
    assert got.event == "roll"
    assert got.json()["roll"]["total"] == 19


async def test_two_players_posting_one_chat_line_relay_it_once(bridge: Bridge) -> None:
    alice, bob = await link(bridge, "alice"), await link(bridge, "bob")
    watcher = await link(bridge, "mira", platform="foundry", gm=True)
    line = {"game_id": "g1", "text": "We go left.", "speaker": "Alice", "source_id": "-Nchat1"}
    async with watcher.stream() as sse:
        answers = [await alice.post("/vtt/chat", line), await bob.post("/vtt/chat", line)]
        assert [a.json()["results"][0]["status"] for a in answers] == ["accepted", "duplicate"]
        assert (await sse.next()).json()["chat"]["text"] == "We go left."
        assert await nothing_more(sse)


async def test_an_inline_roll_scraped_from_a_whisper_is_private(bridge: Bridge) -> None:
    alice = await link(bridge, "alice")
    player = await link(bridge, "bob", platform="foundry")
    gm = await link(bridge, "gwen", platform="foundry", gm=True)
    payload = {**scrape("roll20_scrape_inline.json"), "whisper": True}
    body = {"game_id": "g1", "format": "roll20.scrape", "payload": payload}
    async with player.stream() as other, gm.stream() as g:
        assert (await alice.post("/vtt/rolls", body)).status_code == 202
        seen = (await g.next()).json()
        assert await nothing_more(other)
    assert seen["roll"]["visibility"] == "private"
