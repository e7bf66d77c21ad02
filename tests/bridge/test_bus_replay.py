"""Resuming a bus subscription, the same on both buses: pages, not the queue.

A replay is read from the history a page per batch, so it can be far longer
than the subscriber's queue; live events published meanwhile follow it once
each, and a queue that fills during it is read back from the history.
"""

from __future__ import annotations

import pytest

from bridge.bus import SubscriberLaggingError
from tests.bridge.conftest import Buses
from tests.support.bus import numbers, publish_numbers


async def test_a_replay_longer_than_the_queue_is_read_in_pages(buses: Buses) -> None:
    bus = buses.make(history=1000)
    [first] = await publish_numbers(bus, range(-1, 0))
    await publish_numbers(bus, range(1000))
    async with bus.subscribe(["t"], last_event_id=first, queue_size=2) as sub:
        assert sub.recovered
        pages = [await numbers(sub, 1, limit=100) for _ in range(10)]
        await bus.publish("t", "roll", {"n": 1000})
        live = await numbers(sub, 1)
    assert [len(p) for p in pages] == [100] * 10
    assert [n for p in pages for n in p] + live == list(range(1001))
    assert not sub.lagging


async def test_a_queue_that_fills_during_a_replay_is_read_from_the_history(
    buses: Buses,
) -> None:
    bus = buses.make(history=1000)
    [first] = await publish_numbers(bus, range(-1, 0))
    await publish_numbers(bus, range(100))
    async with (
        bus.subscribe(["t"], last_event_id=first, queue_size=4) as sub,
        bus.subscribe(["t"]) as probe,
    ):
        got = await numbers(sub, 10, limit=10)
        await publish_numbers(bus, range(100, 120))  # five times what the queue holds
        # Each event is offered to every subscriber at once: once the probe
        # has the last one, `sub` was offered all of them.
        assert await numbers(probe, 20) == list(range(100, 120))
        got += await numbers(sub, 110)
        assert not sub.lagging
        await bus.publish("t", "roll", {"n": 120})
        got += await numbers(sub, 1)
    assert got == list(range(121))


async def test_a_replay_overtaken_by_the_window_is_cut_off(buses: Buses) -> None:
    bus = buses.make(history=5)
    [first] = await publish_numbers(bus, range(-1, 0))
    await publish_numbers(bus, range(4))
    async with bus.subscribe(["t"], last_event_id=first, queue_size=4) as sub:
        assert sub.recovered
        assert await numbers(sub, 2, limit=2) == [0, 1]
        # Redis trims by whole nodes (MAXLEN ~), so overflow it well.
        await publish_numbers(bus, range(4, 400))
        with pytest.raises(SubscriberLaggingError):
            await sub.batch()


async def test_closing_during_a_replay_ends_at_once(buses: Buses) -> None:
    bus = buses.make()
    [first] = await publish_numbers(bus, range(-1, 0))
    await publish_numbers(bus, range(100))
    async with bus.subscribe(["t"], last_event_id=first) as sub:
        assert await numbers(sub, 10, limit=10) == list(range(10))
        sub.close()  # sending events queued behind the replay would skip 10..99
        assert await sub.batch() is None


@pytest.mark.parametrize("kind", ["garbage", "superscript", "ahead of the newest"])
async def test_an_id_never_issued_resets_to_the_retained_tail(buses: Buses, kind: str) -> None:
    bus = buses.make()
    ids = await publish_numbers(bus, range(3))
    stem, _, n = ids[-1].rpartition("-")
    bad = {"garbage": "not-an-id", "superscript": f"{stem}-²", "ahead of the newest": ""}[kind]
    async with bus.subscribe(["t"], last_event_id=bad or f"{stem}-{int(n) + 1000}") as sub:
        assert not sub.recovered
        assert await numbers(sub, 3) == [0, 1, 2]
        await bus.publish("t", "roll", {"n": 3})  # not held back behind an id from the future
        assert await numbers(sub, 1) == [3]
