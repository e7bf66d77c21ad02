"""Reading a bus subscription the way a stream does, for bus-level tests."""

from __future__ import annotations

import asyncio
import contextlib

import httpx2

from bridge.bus import BusEvent, EventBus, Subscription
from bridge.events import CHAT, Origin, chat_event, game_topic
from tests.support.sse import Message, SSEStream

ALICE = Origin("roll20", "alice", "Alice")


async def take(sub: Subscription, count: int, limit: int = 64) -> list[BusEvent]:
    """Return the next `count` events (or more, ending a batch), in batches of `limit`."""
    got: list[BusEvent] = []
    while len(got) < count:
        batch = await asyncio.wait_for(sub.batch(limit), 2)
        assert batch is not None, "the subscription ended"
        got += batch
    return got


async def numbers(sub: Subscription, count: int, limit: int = 64) -> list[int]:
    """Return the `n` in the data of the next `count` events."""
    return [e.data["n"] for e in await take(sub, count, limit)]


async def publish_numbers(bus: EventBus, numbers: range, topic: str = "t") -> list[str]:
    """Publish `roll` events whose data is {"n": number}; return their ids."""
    return [(await bus.publish(topic, "roll", {"n": n})).id for n in numbers]


async def publish_chats(bus: EventBus, numbers: range, game: str = "g1", pad: int = 0) -> None:
    """Publish chat events in campaign c1 whose texts are `numbers` (then `pad` spaces)."""
    topic = game_topic("c1", game)
    for i in numbers:
        text = str(i) + " " * pad
        await bus.publish(topic, CHAT, chat_event("c1", game, ALICE, speaker="A", text=text))


async def read(sse: SSEStream, count: int) -> list[Message]:
    """Return the next `count` events of a stream."""
    return [await sse.next() for _ in range(count)]


async def read_to_end(sse: SSEStream) -> list[Message]:
    """Return the events of a stream until it ends (or is cut off mid-event)."""
    got: list[Message] = []
    with contextlib.suppress(EOFError, httpx2.RemoteProtocolError):
        while True:
            got.append(await sse.next())
    return got


def texts(messages: list[Message]) -> list[int]:
    """Return the numbers `publish_chats` put in these chat events."""
    return [int(m.json()["chat"]["text"]) for m in messages]
