"""The resume window of /vtt/stream on both buses: it holds what it promises.

The documented window is 1,000 events / 15 minutes per game, with the
subscriber's live queue (256) much smaller, so a resume must be read from the
history at the client's pace, never pushed through that queue.
"""

from __future__ import annotations

import dataclasses
import time
from collections.abc import AsyncIterator

import httpx2
import pytest

from bridge.app import create_app
from bridge.bus import EventBus, InMemoryBus
from bridge.store import MemoryStore
from core_client import Outbox
from tests.bridge.conftest import SETTINGS, Bridge, Buses, Client, link
from tests.support.bus import publish_chats, read, texts
from tests.support.servers import serve
from tests.support.sse import Message

WINDOW = 1000
QUEUE = 256
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
def bus(buses: Buses, clock: Clock) -> EventBus:
    return buses.make(history=WINDOW, clock=clock)


@pytest.fixture
def memory_bus(bus: EventBus) -> InMemoryBus:
    assert isinstance(bus, InMemoryBus), "mark the test with @ON_MEMORY"
    return bus


# For a test only the memory bus can run: Redis stamps ids with its own clock,
# and a Redis reader is not held up by a publisher that never yields.
ON_MEMORY = pytest.mark.parametrize("buses", ["memory"], indirect=True)


@pytest.fixture
async def bridge(outbox: Outbox, bus: EventBus) -> AsyncIterator[Bridge]:
    store = MemoryStore()
    app = create_app(RESUME_SETTINGS, reporter=outbox, bus=bus, store=store)
    async with serve(app) as url, httpx2.AsyncClient(timeout=5) as http:
        yield Bridge(url, store, http, bus if isinstance(bus, InMemoryBus) else None, app)


async def seen_once(bridge: Bridge, bus: EventBus, games: tuple[str, ...] = ("g1",)) -> Resumer:
    """Link mira, open her stream and return her with the id of one event she saw."""
    mira = await link(bridge, "mira", platform="foundry", games=games)
    async with mira.stream() as sse:
        await publish_chats(bus, range(-1, 0))
        first = await sse.next()
    assert first.id
    return Resumer(mira, bus, first.id)


@dataclasses.dataclass
class Resumer:
    """A client that saw the event `last_id`, and the bus its events come from."""

    client: Client
    bus: EventBus
    last_id: str

    async def read_all(self, missed: int, *, after: str | None = None) -> list[Message]:
        """Resume, read `missed` events, then prove live follows with no gap."""
        async with self.client.stream(last_event_id=after or self.last_id) as sse:
            got = await read(sse, missed)
            await publish_chats(self.bus, range(10_000, 10_001))
            live = await sse.next()
        assert texts([live]) == [10_000]
        return got


async def test_a_client_cut_before_its_first_event_resumes_from_where_it_joined(
    bridge: Bridge, bus: EventBus
) -> None:
    # Found by the mix benchmark: a client dropped before any event had no id
    # to resume from, and lost what was published while it was away.
    mira = await link(bridge, "mira", platform="foundry")
    async with mira.stream() as sse:
        await sse.opening()
        joined = sse.last_event_id
    assert joined
    await publish_chats(bus, range(5))  # while she is away
    async with mira.stream(last_event_id=joined) as sse:
        got = await read(sse, 5)
    assert texts(got) == list(range(5))
    assert all(m.event == "chat" for m in got)  # recovered: no stream.reset


async def test_a_resumed_streams_first_frame_keeps_the_clients_own_id(
    bridge: Bridge, bus: EventBus
) -> None:
    mira = await seen_once(bridge, bus)
    await publish_chats(bus, range(3))
    async with mira.client.stream(last_event_id=mira.last_id) as sse:
        await sse.opening()
        assert sse.last_event_id is None  # no id of its own: the replay's ids follow
        got = await read(sse, 3)
    assert texts(got) == list(range(3))


@pytest.mark.parametrize("missed", [QUEUE + 1, WINDOW])
async def test_a_resume_within_the_window_loses_and_repeats_nothing(
    bridge: Bridge, bus: EventBus, missed: int
) -> None:
    mira = await seen_once(bridge, bus)
    await publish_chats(bus, range(missed))
    got = await mira.read_all(missed)
    assert texts(got) == list(range(missed))
    assert len({m.id for m in got}) == missed
    assert all(m.event == "chat" for m in got)  # no stream.reset: it was all recovered


async def test_a_gap_beyond_the_window_resets_and_delivers_the_retained_tail(
    bridge: Bridge, bus: EventBus
) -> None:
    mira = await seen_once(bridge, bus)
    newest = WINDOW + 399
    await publish_chats(bus, range(newest + 1))
    async with mira.client.stream(last_event_id=mira.last_id) as sse:
        reset = await sse.next()
        got = [await sse.next()]
        while texts(got[-1:]) != [newest]:
            got.append(await sse.next())
    assert reset.event == "stream.reset"
    assert reset.json() == {
        "recovered": False,
        "last_event_id": mira.last_id,
        "reason": "the events after this id are no longer retained",
    }
    # All the window holds, oldest first (Redis trims to about 1,000: MAXLEN ~).
    assert texts(got) == list(range(newest + 1 - len(got), newest + 1))
    assert WINDOW <= len(got) < newest
    if isinstance(bus, InMemoryBus):
        assert len(got) == WINDOW


@ON_MEMORY
async def test_a_gap_older_than_the_time_window_resets_and_delivers_what_is_fresh(
    bridge: Bridge, memory_bus: InMemoryBus, clock: Clock
) -> None:
    mira = await seen_once(bridge, memory_bus)
    await publish_chats(memory_bus, range(300))
    clock.now += 600
    await publish_chats(memory_bus, range(300, 400))
    clock.now += 301  # the first 301 events (the one seen included) are now past 15 minutes
    async with mira.client.stream(last_event_id=mira.last_id) as sse:
        reset = await sse.next()
        got = await read(sse, 100)
    assert reset.event == "stream.reset"
    assert texts(got) == list(range(300, 400))


async def test_events_published_while_a_client_resumes_arrive_once_in_order(
    bridge: Bridge, bus: EventBus
) -> None:
    mira = await seen_once(bridge, bus)
    await publish_chats(bus, range(WINDOW - 200))
    async with mira.client.stream(last_event_id=mira.last_id) as sse:
        got = await read(sse, 10)
        # Published while the replay runs or just after it: either way once each.
        await publish_chats(bus, range(WINDOW - 200, WINDOW))
        got += await read(sse, WINDOW - 10)
    assert texts(got) == list(range(WINDOW))
    assert len({m.id for m in got}) == len(got)


async def test_a_replay_spanning_several_games_is_merged_in_order(
    bridge: Bridge, bus: EventBus
) -> None:
    mira = await seen_once(bridge, bus, games=("g1", "g2"))
    for start in range(0, 600, 100):  # interleave the games in runs of 100
        await publish_chats(bus, range(start, start + 100), game=f"g{start // 100 % 2 + 1}")
    got = await mira.read_all(600)
    assert texts(got) == list(range(600))
    assert [m.json()["game_id"] for m in got[95:105]] == ["g1"] * 5 + ["g2"] * 5
