from __future__ import annotations

import asyncio

import pytest

from bridge.bus import InMemoryBus, SubscriberLaggingError
from tests.support.bus import numbers


async def test_slow_subscriber_is_cut_off_without_delaying_others() -> None:
    bus = InMemoryBus()
    async with (
        bus.subscribe(["t"], queue_size=2) as slow,
        bus.subscribe(["t"], queue_size=100) as fast,
    ):
        for i in range(5):
            await bus.publish("t", "roll", {"n": i})
        assert slow.lagging
        with pytest.raises(SubscriberLaggingError):
            async for _ in slow:
                pass
        received = []
        async for event in fast:
            received.append(event.data["n"])
            if len(received) == 5:
                break
    assert received == [0, 1, 2, 3, 4]


async def test_resume_replays_history_after_the_given_id() -> None:
    bus = InMemoryBus(history_per_topic=3)
    ids = [(await bus.publish("t", "roll", {"n": i})).id for i in range(5)]
    async with bus.subscribe(["t"], last_event_id=ids[2]) as sub:
        assert await numbers(sub, 2) == [3, 4]


async def test_aclose_ends_subscriptions() -> None:
    bus = InMemoryBus()
    async with bus.subscribe(["t"]) as sub:
        await bus.aclose()
        items = [e async for e in sub]
    assert items == []


async def test_history_forgets_old_events_and_says_so() -> None:
    bus = InMemoryBus(history_per_topic=100, history_seconds=0.05)
    first = await bus.publish("t", "roll", {"n": 0})
    await bus.publish("t", "roll", {"n": 1})  # the client never saw this one
    await asyncio.sleep(0.1)
    await bus.publish("t", "roll", {"n": 2})
    async with bus.subscribe(["t"], last_event_id=first.id) as sub:
        assert not sub.recovered
        assert await numbers(sub, 1) == [2]


async def test_an_id_from_another_process_is_not_recovered() -> None:
    old, new = InMemoryBus(), InMemoryBus()
    stale = await old.publish("t", "roll", {"n": 0})
    await new.publish("t", "roll", {"n": 1})
    async with new.subscribe(["t"], last_event_id=stale.id) as sub:
        assert not sub.recovered
        assert await numbers(sub, 1) == [1]


async def test_batches_group_queued_events_and_pings_wake_idle_ones() -> None:
    bus = InMemoryBus()
    async with bus.subscribe(["t"]) as sub:
        for i in range(3):
            await bus.publish("t", "roll", {"n": i})
        assert [e.data["n"] for e in await sub.batch() or []] == [0, 1, 2]
        sub.ping()
        assert await sub.batch() == []
        await bus.publish("t", "roll", {"n": 3})
        sub.close()
        assert [e.data["n"] for e in await sub.batch() or []] == [3]
        assert await sub.batch() is None


async def test_cancel_ends_a_subscription_at_once() -> None:
    bus = InMemoryBus()
    async with bus.subscribe(["t"]) as sub:
        await bus.publish("t", "roll", {"n": 0})
        sub.cancel()
        assert await sub.batch() is None
