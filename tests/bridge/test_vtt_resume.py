"""The resume window of /vtt/stream on the memory bus: it holds what it promises.

The documented window is 1,000 events / 15 minutes per game, with the
subscriber's live queue (256) much smaller, so a resume must be read from the
history at the client's pace, never pushed through that queue.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator

import httpx
import pytest

from bridge.app import create_app
from bridge.bus import InMemoryBus
from bridge.events import CHAT, Origin, chat_event, game_topic
from bridge.store import MemoryStore
from core_client import Outbox
from tests.bridge.conftest import SETTINGS, Bridge, Client, link
from tests.support.servers import serve
from tests.support.sse import Message, SSEStream

WINDOW = 1000
QUEUE = 256
ORIGIN = Origin("roll20", "alice", "Alice")
RESUME_SETTINGS = dataclasses.replace(
    SETTINGS, subscriber_queue=QUEUE, history_per_topic=WINDOW, history_seconds=900.0
)


class Clock:
    """A wall clock the test moves forward by hand."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
async def bridge(outbox: Outbox, clock: Clock) -> AsyncIterator[Bridge]:
    bus = InMemoryBus(history_per_topic=WINDOW, history_seconds=900.0, clock=clock)
    store = MemoryStore()
    app = create_app(RESUME_SETTINGS, reporter=outbox, bus=bus, store=store)
    async with serve(app) as url, httpx.AsyncClient(timeout=5) as http:
        yield Bridge(url, store, http, bus, app)
    await bus.aclose()


async def publish(bus: InMemoryBus, texts: range, game: str = "g1") -> None:
    topic = game_topic("c1", game)
    for i in texts:
        await bus.publish(topic, CHAT, chat_event("c1", game, ORIGIN, speaker="A", text=str(i)))


async def read(sse: SSEStream, count: int) -> list[Message]:
    return [await sse.next() for _ in range(count)]


def texts(messages: list[Message]) -> list[int]:
    return [int(m.json()["chat"]["text"]) for m in messages]


async def seen_once(bridge: Bridge) -> tuple[Client, str]:
    """Link mira, open her stream and return her with the id of one event she saw."""
    mira = await link(bridge, "mira", platform="foundry")
    async with mira.stream() as sse:
        await publish(bridge.bus, range(-1, 0))
        first = await sse.next()
    assert first.id
    return mira, first.id


async def resume_and_read_all(mira: Client, last_id: str, missed: int) -> list[Message]:
    """Resume after `last_id`, read `missed` events, then prove live follows with no gap."""
    async with mira.stream(last_event_id=last_id) as sse:
        got = await read(sse, missed)
        await publish(mira.bridge.bus, range(missed, missed + 1))
        live = await sse.next()
    assert texts([live]) == [missed]
    return got


@pytest.mark.parametrize("missed", [QUEUE + 1, WINDOW])
async def test_a_resume_within_the_window_loses_and_repeats_nothing(
    bridge: Bridge, missed: int
) -> None:
    mira, last_id = await seen_once(bridge)
    await publish(bridge.bus, range(missed))
    got = await resume_and_read_all(mira, last_id, missed)
    assert texts(got) == list(range(missed))
    assert len({m.id for m in got}) == missed
    assert all(m.event == "chat" for m in got)  # no stream.reset: it was all recovered


async def test_a_gap_beyond_the_window_resets_and_delivers_the_retained_tail(
    bridge: Bridge,
) -> None:
    mira, last_id = await seen_once(bridge)
    await publish(bridge.bus, range(WINDOW + 200))
    async with mira.stream(last_event_id=last_id) as sse:
        reset = await sse.next()
        got = await read(sse, WINDOW)
    assert reset.event == "stream.reset"
    assert reset.json() == {
        "recovered": False,
        "last_event_id": last_id,
        "reason": "the events after this id are no longer retained",
    }
    assert texts(got) == list(range(200, WINDOW + 200))


async def test_a_gap_older_than_the_time_window_resets_and_delivers_what_is_fresh(
    bridge: Bridge, clock: Clock
) -> None:
    mira, last_id = await seen_once(bridge)
    await publish(bridge.bus, range(300))
    clock.now += 600
    await publish(bridge.bus, range(300, 400))
    clock.now += 301  # the first 301 events (the one seen included) are now past 15 minutes
    async with mira.stream(last_event_id=last_id) as sse:
        reset = await sse.next()
        got = await read(sse, 100)
        await publish(bridge.bus, range(400, 401))
        live = await sse.next()
    assert reset.event == "stream.reset"
    assert texts(got) + texts([live]) == list(range(300, 401))


async def test_events_published_while_a_client_resumes_arrive_once_in_order(
    bridge: Bridge,
) -> None:
    mira, last_id = await seen_once(bridge)
    await publish(bridge.bus, range(WINDOW - 200))
    async with mira.stream(last_event_id=last_id) as sse:
        got = await read(sse, 10)
        # Published while the replay runs or just after it: either way once each.
        await publish(bridge.bus, range(WINDOW - 200, WINDOW))
        got += await read(sse, WINDOW - 10)
    assert texts(got) == list(range(WINDOW))
    assert len({m.id for m in got}) == len(got)


async def test_a_slow_client_cut_off_catches_up_from_the_history(bridge: Bridge) -> None:
    mira, _ = await seen_once(bridge)
    async with mira.stream() as sse:
        await publish(bridge.bus, range(1))
        first = await sse.next()
        # More than its queue holds, published before its writer runs once.
        await publish(bridge.bus, range(1, QUEUE + 100))
        with pytest.raises(EOFError):
            await sse.next(timeout=2)
    assert first.id
    got = await resume_and_read_all(mira, first.id, QUEUE + 99)
    assert texts(got) == list(range(1, QUEUE + 100))


async def test_a_replay_spanning_several_games_is_merged_in_order(bridge: Bridge) -> None:
    mira = await link(bridge, "mira", platform="foundry", games=("g1", "g2"))
    async with mira.stream() as sse:
        await publish(bridge.bus, range(-1, 0))
        first = await sse.next()
    assert first.id
    for start in range(0, 600, 100):  # interleave the games in runs of 100
        await publish(bridge.bus, range(start, start + 100), game=f"g{start // 100 % 2 + 1}")
    got = await resume_and_read_all(mira, first.id, 600)
    assert texts(got) == list(range(600))
    assert [m.json()["game_id"] for m in got[95:105]] == ["g1"] * 5 + ["g2"] * 5
