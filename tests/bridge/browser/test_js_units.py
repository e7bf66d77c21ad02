"""The extension's JavaScript, unit by unit, in a real Chromium page (no node needed).

The Roll20 parser runs on markup shaped like Roll20's and its payloads go
through the bridge's own `roll20.scrape` converter, so the client produces
exactly what the format accepts. The SSE reader gets a stream cut at awkward
places.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import pytest
import pytest_asyncio
from playwright.async_api import Page

from bridge.formats import RollContext, convert
from core_client import Visibility
from tests.bridge.browser.roll20_fixture import FIXTURES, ChatLog, create_app
from tests.support.browser import browser
from tests.support.servers import serve

CTX = RollContext("c1", "g1", "u1", "Alice")
MARKUP = (FIXTURES / "roll20_messages.html").read_text()
# Cut mid-line, between CR and LF, with comments, CR-only and LF-only line ends.
SSE_CHUNKS = [
    ": connected\r\nid: 0-9\r\nretry: 3000\r\n\r\nid: 1-0\r\nevent: chat\r\nda",
    'ta: {"a":1}\r',
    "\n\r\n: ping\r\n\r\nid: 2-0\rdata: x\rdata: y\r\r",
    "data: no id\n\n",
]

# Message ids in fixtures/roll20_messages.html (Roll20's markup).
ROLL = "-Nroll1"
SHEET = "-Nsheet1"
CHAT = "-Nchat1"
FOLLOW_UP = "-Nchat2"
WHISPER_TO_GM = "-Nw1"
GMROLL = "-Nw2"
FROM_PLAYER = "-Nw3"
INJECTED = "-Ninj"
BROKEN = "-Nbroken"
ODD = "-Nodd"


# One Chromium for the module: the units share nothing but the page's modules.
pytestmark = pytest.mark.asyncio(loop_scope="module")


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def page() -> AsyncIterator[Page]:
    async with serve(create_app(ChatLog())) as url, browser() as chromium:
        tab = await chromium.new_page()
        await tab.goto(f"{url}/editor/")
        yield tab


async def parse(page: Page, ids: list[str], *, gm: bool = False) -> list[dict[str, Any]]:
    """Parse the messages with these ids with lib/roll20-parse.js, in order, in one parser."""
    results: list[dict[str, Any]] = await page.evaluate(
        """async ([markup, ids, gm]) => {
            const { createParser } = await import("/lib/roll20-parse.js");
            const parser = createParser({ gm });
            const holder = document.createElement("div");
            holder.innerHTML = markup;
            return ids.map((id) => parser.parse(holder.querySelector(`[data-messageid="${id}"]`)));
        }""",
        [MARKUP, ids, gm],
    )
    return results


async def test_a_roll_result_becomes_a_scrape_the_bridge_reads(page: Page) -> None:
    [result] = await parse(page, [ROLL])
    [payload] = result["rolls"]
    assert payload["kind"] == "rollresult"
    assert payload["message_id"] == "-Nroll1"
    [record] = convert("roll20.scrape", payload, CTX)
    assert (record.formula, record.total, record.crit) == ("2d20kh1+5", 25, True)
    assert [(d.value, d.kept) for d in record.groups[0].dice] == [(20, True), (4, False)]
    assert record.source_message_id == "-Nroll1"
    assert record.character_name == "Alice"


async def test_inline_rolls_each_get_their_own_stable_id(page: Page) -> None:
    [result] = await parse(page, [SHEET])
    records = [convert("roll20.scrape", p, CTX)[0] for p in result["rolls"]]
    assert [r.source_message_id for r in records] == ["-Nsheet1#0", "-Nsheet1#1"]
    assert [(r.total, r.fumble) for r in records] == [(4, True), (15, False)]


async def test_chat_keeps_the_speaker_across_roll20s_follow_up_messages(page: Page) -> None:
    first, second = await parse(page, [CHAT, FOLLOW_UP])
    assert first["chat"] == {
        "text": "We go left.",
        "source_id": "-Nchat1",
        "gm_only": False,
        "speaker": "Bob",
    }
    assert second["chat"]["speaker"] == "Bob"


async def test_whispers_and_gmrolls_are_never_public(page: Page) -> None:
    to_gm, gmroll, from_bob = await parse(page, [WHISPER_TO_GM, GMROLL, FROM_PLAYER])
    assert to_gm["chat"]["gm_only"] is True
    [record] = convert("roll20.scrape", gmroll["rolls"][0], CTX)
    assert record.visibility is Visibility.PRIVATE
    assert "skip" in from_bob  # a player reading another's whisper to them: not relayed
    [as_gm] = await parse(page, [FROM_PLAYER], gm=True)
    assert as_gm["chat"] == {"text": "psst", "source_id": "-Nw3", "gm_only": True, "speaker": "Bob"}


async def test_lines_typed_from_discord_are_not_read_back(page: Page) -> None:
    [result] = await parse(page, [INJECTED])
    assert result["skip"] == "typed from Discord"


async def test_a_discord_line_is_never_read_back_even_with_a_roll_in_it(page: Page) -> None:
    [result] = await parse(page, ["-Ninj2"])
    assert result["skip"] == "typed from Discord"


async def test_what_is_typed_into_roll20_is_public_marked_and_inert(page: Page) -> None:
    chat = {"origin": {"platform": "discord", "user_name": "Gwen"}, "audience": {"gm_only": False}}
    texts = await page.evaluate(
        """async (chat) => {
            const { injectionText } = await import("/lib/roll20-parse.js");
            const roll = { formula: "1d20+5", total: 25, crit: true, label: "Attack" };
            return [
                injectionText({ type: "chat", data: { ...chat, chat: { speaker: "Gwen",
                    text: "I swing [[1d20+5]] &{template:default}" } } }),
                injectionText({ type: "roll", data: { ...chat, roll } }),
                injectionText({ type: "chat", data: { ...chat, audience: { gm_only: true },
                    chat: { speaker: "Gwen", text: "psst" } } }),
                injectionText({ type: "chat", data: { ...chat, audience: { users: [] },
                    chat: { speaker: "Gwen", text: "psst" } } }),
            ];
        }""",
        chat,
    )
    assert texts == [
        "(Discord) Gwen: I swing [ [1d20+5] ] & {template:default}",
        "(Discord) Gwen rolled 1d20+5 (Attack) = 25 — critical!",
        None,
        None,
    ]


async def test_markup_that_no_longer_parses_is_a_failure_to_report(page: Page) -> None:
    broken, odd = await parse(page, [BROKEN, ODD])
    assert broken["failure"]["kind"] == "roll_markup"
    assert odd["failure"]["kind"] == "unknown_message"
    assert "newfangled" in odd["failure"]["detail"]


async def test_the_sse_reader_follows_the_whatwg_rules(page: Page) -> None:
    events = await page.evaluate(
        """async (chunks) => {
            const { readEvents } = await import("/lib/sse.js");
            const body = new ReadableStream({ start(c) {
                for (const s of chunks) c.enqueue(new TextEncoder().encode(s)); c.close(); } });
            const out = [];
            for await (const e of readEvents(body)) out.push(e);
            return out;
        }""",
        SSE_CHUNKS,
    )
    assert events == [
        # The first frame's id with no data: where the stream joined, not an event.
        {"type": None, "data": None, "lastEventId": "0-9", "retry": 3000},
        {"type": "chat", "data": '{"a":1}', "lastEventId": "1-0", "retry": 3000},
        {"type": "message", "data": "x\ny", "lastEventId": "2-0", "retry": 3000},
        {"type": "message", "data": "no id", "lastEventId": "2-0", "retry": 3000},
    ]


async def test_backoff_is_capped_and_jittered(page: Page) -> None:
    delays = await page.evaluate(
        """async () => {
            const { backoffDelay } = await import("/lib/backoff.js");
            const low = [...Array(12).keys()].map((n) => backoffDelay(n, { random: () => 0 }));
            const high = [...Array(12).keys()].map((n) => backoffDelay(n, { random: () => 1 }));
            return { low, high };
        }"""
    )
    assert delays["low"][:3] == [250, 500, 1000]
    assert delays["high"][:3] == [500, 1000, 2000]
    assert max(delays["high"]) == 30_000
    assert all(lo * 2 == hi for lo, hi in zip(delays["low"], delays["high"], strict=True))


async def test_the_store_applies_every_overlapping_update(page: Page) -> None:
    found = await page.evaluate(
        """async () => {
            const { createStore } = await import("/lib/store.js");
            // An area as slow as chrome.storage, where reads and writes interleave.
            const data = new Map();
            const later = () => new Promise((r) => setTimeout(r, Math.random() * 5));
            const area = {
                async get(key) {
                    await later();
                    return data.has(key) ? { [key]: data.get(key) } : {};
                },
                async set(items) {
                    await later();
                    for (const [k, v] of Object.entries(items)) data.set(k, v);
                },
                async remove(key) {
                    await later();
                    data.delete(key);
                },
            };
            const store = createStore(area);
            const add = (n) => store.update("outbox", [], (o) => [...o, n]);
            const adds = [...Array(20).keys()].map(add);
            const failing = store.update("outbox", [], () => { throw new Error("no room"); });
            const after = store.update("outbox", [], (o) => o.filter((n) => n % 2 === 0));
            await Promise.all(adds);
            const error = await failing.then(() => null, (e) => e.message);
            await after;
            const kept = await store.get("outbox", []);
            await store.remove(["outbox"]);
            return { kept, error, removed: await store.get("outbox", "gone") };
        }"""
    )
    assert found["kept"] == list(range(0, 20, 2))  # every add landed, in order, then the filter
    assert found["error"] == "no room"  # the failed update is reported and blocks nothing
    assert found["removed"] == "gone"
