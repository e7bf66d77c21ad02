"""The channel poster: ordered, coalesced, durable, and never dropping a line for a 429."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.relay.coalesce import Line, Post
from bot.relay.pending import PendingLines
from bot.relay.poster import ChannelPoster, PermanentSendError, RateLimitedSendError

CHANNEL = 42


@pytest.fixture
async def pending() -> AsyncIterator[PendingLines]:
    lines = await PendingLines.open()
    yield lines
    await lines.close()


async def test_poster_coalesces_a_burst_and_retries_failures(pending: PendingLines) -> None:
    sent: list[Post] = []
    failures = [RuntimeError("503")]

    async def send(post: Post) -> None:
        if failures:
            raise failures.pop()
        sent.append(post)

    poster = ChannelPoster(CHANNEL, pending, send, window=0.05, retry_delay=0.01)
    for i in range(20):
        await poster.put(Line("Alice", f"line {i}"))
    assert await poster.drained(5)
    assert len(sent) == 1
    assert sent[0].lines == [f"line {i}" for i in range(20)]
    assert await pending.count() == 0
    await poster.aclose()


async def test_a_429_is_waited_out_and_the_order_kept(pending: PendingLines) -> None:
    sent: list[str] = []
    limited = 3

    async def send(post: Post) -> None:
        nonlocal limited
        if limited:
            limited -= 1
            raise RateLimitedSendError(0.01)
        sent.append(post.content)

    poster = ChannelPoster(CHANNEL, pending, send, window=0.01)
    for speaker, text in [("Ann", "one"), ("Bob", "two"), ("Ann", "three")]:
        await poster.put(Line(speaker, text))
    assert await poster.drained(5)
    assert sent == ["one", "two", "three"]
    await poster.aclose()


async def test_a_refused_post_is_skipped_and_told_once_per_outage(pending: PendingLines) -> None:
    sent: list[str] = []
    told: list[str] = []

    async def send(post: Post) -> None:
        if post.username == "Ghost":
            raise PermanentSendError("no Manage Webhooks")
        sent.append(post.content)

    async def tell(exc: PermanentSendError) -> None:
        told.append(str(exc))

    poster = ChannelPoster(CHANNEL, pending, send, on_refused=tell, window=0.01)
    for speaker, text in [("Ghost", "boo"), ("Alice", "hi"), ("Ghost", "boo")]:
        await poster.put(Line(speaker, text))
    assert await poster.drained(5)
    assert sent == ["hi"]
    assert told == ["no Manage Webhooks", "no Manage Webhooks"]  # once per refusal after a success
    await poster.put(Line("Ghost", "again"))
    await poster.put(Line("Ghost", "and again"))
    assert await poster.drained(5)
    assert len(told) == 2  # still refusing: not told again
    assert await pending.count() == 0
    await poster.aclose()


async def test_unsent_lines_wait_in_the_file_for_the_next_poster(tmp_path: Path) -> None:
    path = tmp_path / "relay.sqlite3"
    first = await PendingLines.open(path)

    async def refuse(post: Post) -> None:
        raise RateLimitedSendError(60)

    stuck = ChannelPoster(CHANNEL, first, refuse, window=0.01)
    await stuck.put(Line("Ann", "one"))
    await stuck.put(Line("Ann", "two"))
    assert not await stuck.drained(0.2)
    await stuck.aclose()
    await first.close()

    second = await PendingLines.open(path)
    sent: list[str] = []

    async def send(post: Post) -> None:
        sent.append(post.content)

    assert await second.channels() == [CHANNEL]
    poster = ChannelPoster(CHANNEL, second, send, window=0.01)
    poster.wake()
    assert await poster.drained(5)
    assert sent == ["one\ntwo"]
    await poster.aclose()
    await second.close()
