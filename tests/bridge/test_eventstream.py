"""A frozen SSE client is dropped with one warning, never an ERROR line."""

from __future__ import annotations

import asyncio
import dataclasses
import json
import logging
import math
import socket
from urllib.parse import urlsplit

import pytest

from bridge.events import CHAT, chat_event, game_topic
from bridge.settings import BridgeSettings
from tests.bridge.conftest import SETTINGS, Bridge, link
from tests.support.bus import ALICE
from tests.support.logs import watch


@pytest.fixture
def bridge_settings() -> BridgeSettings:
    return dataclasses.replace(SETTINGS, send_timeout=0.2, heartbeat_seconds=0.1)


async def frozen_stream(url: str, ticket: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    """Open /vtt/stream on a socket that takes in little and is then never read."""
    address = urlsplit(url)
    sock = socket.socket()
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    sock.setblocking(False)
    await asyncio.get_running_loop().sock_connect(sock, (address.hostname, address.port))
    reader, writer = await asyncio.open_connection(sock=sock, limit=4096)
    writer.write(f"GET /vtt/stream?ticket={ticket} HTTP/1.1\r\nHost: b\r\n\r\n".encode())
    await writer.drain()
    assert (await reader.readline()).startswith(b"HTTP/1.1 200")
    return reader, writer


async def test_a_frozen_client_is_dropped_with_a_warning_not_an_error(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    with watch("bridge.eventstream", "blocked a send") as seen:
        mira = await link(bridge, "mira", platform="foundry")
        ticket = (await mira.post("/vtt/stream-tickets", {})).json()["ticket"]
        reader, writer = await frozen_stream(bridge.url, ticket)
        # Fewer events than its queue holds, but far more bytes than the socket
        # buffers do (a few MB on loopback): a later send (a heartbeat) blocks.
        topic = game_topic("c1", "g1")
        big = chat_event("c1", "g1", ALICE, speaker="A", text="x" * 500_000)
        for _ in range(SETTINGS.subscriber_queue // 2):
            await bridge.bus.publish(topic, CHAT, big)
        await asyncio.wait_for(seen.event.wait(), 10)
        while await reader.read(1 << 16):  # the server closes once its buffer is read
            pass
        writer.close()
    dropped = [r for r in caplog.records if "blocked a send" in r.getMessage()]
    assert [r.levelname for r in dropped] == ["WARNING"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


def _strict(constant: str) -> object:
    raise AssertionError(f"{constant} on the stream: a browser's JSON.parse fails on the event")


async def test_nan_and_infinity_never_reach_the_stream(bridge: Bridge) -> None:
    mira = await link(bridge, "mira", platform="foundry")
    event = chat_event("c1", "g1", ALICE, speaker="A", text="hi")
    # What a buggy publisher could put on the bus: numbers JSON cannot carry.
    bad = {**event, "chat": {**event["chat"], "odds": math.nan, "max": math.inf, "min": -math.inf}}
    async with mira.stream() as sse:
        await bridge.bus.publish(game_topic("c1", "g1"), CHAT, bad)
        message = await sse.next()
    for constant in ("NaN", "Infinity"):
        assert constant not in message.data
    data = json.loads(message.data, parse_constant=_strict)
    assert data["chat"]["text"] == "hi"
    assert {data["chat"][k] for k in ("odds", "max", "min")} == {None}
