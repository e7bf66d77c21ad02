"""The hub's fan-out: paused clients catch up from their cursor, or are dropped and resume.

Clients are real sockets against a real uvicorn. A "frozen" client has a tiny
receive buffer and reads nothing for a while, so the server's transport is
paused by flow control, which is what sends a connection off the hub's pass.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import re
import socket
from collections.abc import AsyncIterator, Callable
from urllib.parse import urlsplit

import httpx2
import pytest

from bridge.app import create_app
from bridge.bus import EventBus
from bridge.events import CHAT, Origin, chat_event, game_topic
from bridge.fanout import Hub, Tally
from bridge.store import MemoryStore
from core_client import Outbox
from tests.bridge.conftest import SETTINGS, Bridge, Buses, Client, link
from tests.support.bus import ALICE, publish_chats, read, texts
from tests.support.servers import serve

WINDOW = 16
BIG = 500_000  # bytes of padding per event: a dozen fill the socket buffers (4 MB)
FANOUT_SETTINGS = dataclasses.replace(
    SETTINGS, history_per_topic=1000, stream_window=WINDOW, send_timeout=30.0
)
EVENT = re.compile(rb"id: ([^\r\n]+)\r\nevent: chat\r\ndata: ([^\r\n]+)\r\n\r\n")
TEXT = re.compile(rb'"text":"(\d+) *"')


@pytest.fixture
async def bridge(outbox: Outbox, buses: Buses) -> AsyncIterator[Bridge]:
    bus = buses.make(history=FANOUT_SETTINGS.history_per_topic)
    app = create_app(FANOUT_SETTINGS, reporter=outbox, bus=bus, store=MemoryStore())
    async with serve(app) as url, httpx2.AsyncClient(timeout=5) as http:
        yield Bridge(url, app.state.services.store, http, None, app)


def bus_of(bridge: Bridge) -> EventBus:
    assert bridge.app is not None
    bus: EventBus = bridge.app.state.services.bus
    return bus


def tally(bridge: Bridge) -> Tally:
    assert bridge.app is not None
    counts: Tally = bridge.app.state.services.streams.tally
    return counts


def hub(bridge: Bridge) -> Hub:
    assert bridge.app is not None
    the_hub: Hub = bridge.app.state.services.hub
    return the_hub


async def until(condition: Callable[[], bool]) -> None:
    """Wait for a condition the server reaches by itself (not a timing: 10 s is a hang)."""
    async with asyncio.timeout(10):
        while not condition():  # noqa: ASYNC110 - the hub offers no event to wait on
            await asyncio.sleep(0.01)


class Frozen:
    """A raw /vtt/stream client with a tiny receive buffer, read only when told."""

    def __init__(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.reader, self.writer = reader, writer
        self.buffer = bytearray()
        self._events: list[tuple[str, int]] = []
        self._parsed_to = 0

    @classmethod
    async def open(cls, client: Client) -> Frozen:
        ticket = (await client.post("/vtt/stream-tickets", {})).json()["ticket"]
        address = urlsplit(client.bridge.url)
        sock = socket.socket()
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        sock.setblocking(False)
        await asyncio.get_running_loop().sock_connect(sock, (address.hostname, address.port))
        reader, writer = await asyncio.open_connection(sock=sock, limit=1 << 20)
        writer.write(f"GET /vtt/stream?ticket={ticket} HTTP/1.1\r\nHost: b\r\n\r\n".encode())
        await writer.drain()
        frozen = cls(reader, writer)
        await frozen.until(b"retry:")  # subscribed and tapped
        return frozen

    async def until(self, marker: bytes) -> None:
        while marker not in self.buffer:
            chunk = await asyncio.wait_for(self.reader.read(1 << 16), 10)
            assert chunk, "the stream ended"
            self.buffer += chunk

    async def read_events(self, count: int) -> list[tuple[str, int]]:
        while len(self.events()) < count:
            chunk = await asyncio.wait_for(self.reader.read(1 << 16), 10)
            assert chunk, "the stream ended"
            self.buffer += chunk
        return self.events()

    async def read_to_end(self) -> list[tuple[str, int]]:
        while chunk := await asyncio.wait_for(self.reader.read(1 << 16), 10):
            self.buffer += chunk
        self.writer.close()
        return self.events()

    def events(self) -> list[tuple[str, int]]:
        """Return (id, text number) of each whole chat event read so far."""
        # Parsed from where the last whole event ended: the buffer grows to MBs.
        for match in EVENT.finditer(self.buffer, self._parsed_to):
            text = TEXT.search(match.group(2))
            assert text is not None
            self._events.append((match.group(1).decode(), int(text.group(1))))
            self._parsed_to = match.end()
        return self._events


async def test_a_paused_client_catches_up_from_its_cursor(bridge: Bridge) -> None:
    mira = await link(bridge, "mira", platform="foundry")
    frozen = await Frozen.open(mira)
    # Fewer events than the window, far more bytes than the socket buffers.
    await publish_chats(bus_of(bridge), range(WINDOW - 1), pad=BIG)
    # On Redis the reader delivers after publish returns: wait for the hub to see them.
    await until(lambda: tally(bridge).paused >= 1)  # the pass could not write them all
    got = await frozen.read_events(WINDOW - 1)
    assert [n for _, n in got] == list(range(WINDOW - 1))  # none lost, none twice
    # Caught up, it is back on the pass: a new event arrives without a catch-up.
    paused = tally(bridge).paused
    await publish_chats(bus_of(bridge), range(100, 101))
    assert [n for _, n in await frozen.read_events(WINDOW)][-1] == 100
    assert tally(bridge).paused == paused
    assert tally(bridge).lagged == 0
    frozen.writer.close()


async def test_a_client_behind_past_the_window_is_dropped_and_resumes(
    bridge: Bridge, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    mira = await link(bridge, "mira", platform="foundry")
    frozen = await Frozen.open(mira)
    total = WINDOW * 4  # past the window, however much the socket buffers took
    await publish_chats(bus_of(bridge), range(total), pad=BIG)
    await until(lambda: tally(bridge).lagged == 1)
    got = await frozen.read_to_end()  # what the server had written, then its close
    assert 0 < len(got) < total
    async with mira.stream(last_event_id=got[-1][0]) as sse:
        rest = await read(sse, total - len(got))
    assert [n for _, n in got] + texts(rest) == list(range(total))
    # A dropped slow client is an ordinary event on game night: one warning, no error.
    behind = [r for r in caplog.records if "fell behind" in r.getMessage()]
    assert [r.levelname for r in behind] == ["WARNING"]
    assert [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR] == []


async def test_each_event_is_encoded_once_whatever_its_audience(bridge: Bridge) -> None:
    clients = [await link(bridge, f"p{i}", platform="foundry") for i in range(3)]
    async with clients[0].stream() as a, clients[1].stream() as b, clients[2].stream() as c:
        before = hub(bridge).encodes
        await publish_chats(bus_of(bridge), range(5))
        for sse in (a, b, c):
            assert texts(await read(sse, 5)) == list(range(5))
    assert hub(bridge).encodes - before == 5


async def test_each_viewer_sees_only_what_it_may(bridge: Bridge) -> None:
    gm = await link(bridge, "gm", platform="foundry", gm=True)
    carol = await link(bridge, "carol", platform="foundry")
    dave = await link(bridge, "dave", platform="foundry")
    topic = game_topic("c1", "g1")
    bob = Origin("roll20", "bob", "Bob")
    lines = [
        chat_event("c1", "g1", bob, speaker="B", text="0 all"),
        chat_event("c1", "g1", bob, speaker="B", text="1 carol", whisper_to=["carol"]),
        chat_event("c1", "g1", bob, speaker="B", text="2 gm", gm_only=True),
        chat_event("c1", "g1", ALICE, speaker="A", text="3 all"),
    ]
    async with gm.stream() as g, carol.stream() as c, dave.stream() as d:
        for data in lines:
            await bus_of(bridge).publish(topic, CHAT, data)
        seen = {
            "gm": [(await g.next()).json()["chat"]["text"] for _ in range(4)],
            "carol": [(await c.next()).json()["chat"]["text"] for _ in range(3)],
            "dave": [(await d.next()).json()["chat"]["text"] for _ in range(2)],
        }
    assert seen == {
        "gm": ["0 all", "1 carol", "2 gm", "3 all"],
        "carol": ["0 all", "1 carol", "3 all"],
        "dave": ["0 all", "3 all"],
    }


async def test_a_stream_gets_its_cors_headers_once_on_the_response(bridge: Bridge) -> None:
    # The frames bypass the middleware; the response start still goes through it.
    mira = await link(bridge, "mira", platform="foundry")
    ticket = (await mira.post("/vtt/stream-tickets", {})).json()["ticket"]
    origin = {"Origin": "https://app.roll20.net"}
    url = f"{bridge.url}/vtt/stream?ticket={ticket}"
    async with bridge.http.stream("GET", url, headers=origin) as response:
        assert response.headers["access-control-allow-origin"] == "https://app.roll20.net"
        assert response.headers["content-type"].startswith("text/event-stream")


def streams_of(bridge: Bridge) -> int:
    assert bridge.app is not None
    return len(bridge.app.state.services.streams)


async def test_a_closed_client_is_forgotten_with_nothing_sent_to_it(bridge: Bridge) -> None:
    # No task awaits receive(): the server's disconnect must still reach the hub.
    mira = await link(bridge, "mira", platform="foundry")
    first, second = await Frozen.open(mira), await Frozen.open(mira)
    assert (streams_of(bridge), len(hub(bridge))) == (2, 1)
    first.writer.close()
    await until(lambda: streams_of(bridge) == 1)
    second.writer.close()
    await until(lambda: streams_of(bridge) == 0 and len(hub(bridge)) == 0)  # game untapped


def awaiting(task: asyncio.Task[object]) -> list[str]:
    """Return the coroutines a task is suspended in, outermost first, as dir/file:name."""
    chain, coro = [], task.get_coro()
    while hasattr(coro, "cr_code"):
        code = coro.cr_code
        chain.append(f"{'/'.join(code.co_filename.rsplit('/', 2)[-2:])}:{code.co_name}")
        coro = coro.cr_await
    return chain


async def test_an_idle_stream_waits_in_one_task_outside_the_middleware(bridge: Bridge) -> None:
    # What an idle stream keeps suspended is most of what it costs (docs/benchmarks.md).
    mira = await link(bridge, "mira", platform="foundry")
    frozen = await Frozen.open(mira)
    await until(lambda: streams_of(bridge) == 1)
    chains = [awaiting(t) for t in asyncio.all_tasks()]
    assert not [c for c in chains if any(f.startswith("bridge/fanout") for f in c)]
    (chain,) = [c for c in chains if c and c[0].endswith(":run_asgi")]  # the stream's request
    assert chain[-1] == "bridge/eventstream.py:serve"
    assert not [f for f in chain if f.startswith("starlette/")]  # no routing, no middleware
    frozen.writer.close()
    await until(lambda: streams_of(bridge) == 0)
