"""The durable outbox against a real in-process Core (SQLite) or a closed port."""

from __future__ import annotations

import logging
import socket
from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette

from core_client import CoreClient, Event, EventType, Outbox, OutboxFullError
from tests.support.core import d20_roll, stored_rolls


def closed_port_client(secret: str, http: httpx2.AsyncClient) -> CoreClient:
    """Return a client for a port nothing listens on: Core is down."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    return CoreClient(f"http://127.0.0.1:{port}", http, signing_secrets=[secret])


async def test_put_events_are_delivered_and_a_replay_stored_once(
    outbox: Outbox, core_app: Starlette
) -> None:
    events = [d20_roll(v) for v in (1, 2, 3)]
    for event in events:
        await outbox.put(event)
    assert await outbox.flush(timeout=5)
    await outbox.put(events[0])  # the sender retries an event Core already has
    assert await outbox.flush(timeout=5)
    assert sorted(r.total for r in await stored_rolls(core_app)) == [1.0, 2.0, 3.0]
    assert outbox.pending == 0


async def test_a_refused_event_is_dead_lettered_and_the_rest_delivered(
    outbox: Outbox, core_app: Starlette
) -> None:
    bad = Event(EventType.ROLL_RECORDED, {"platform": "discord", "formula": "1d20", "total": 3})
    await outbox.put(d20_roll(4))
    await outbox.put(bad)
    await outbox.put(d20_roll(5))
    assert await outbox.flush(timeout=5)
    assert [r.total for r in await stored_rolls(core_app)] == [4.0, 5.0]
    [dead] = await outbox.dead_letters()
    event_id, reason = dead.event_id, dead.reason
    assert event_id == bad.id
    assert "campaign_id" in reason


async def test_a_full_outbox_warns_then_refuses(
    tmp_path: Path, webhook_secret: str, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.WARNING, logger="core_client.outbox")
    async with httpx2.AsyncClient(timeout=0.5) as http:
        client = closed_port_client(webhook_secret, http)
        async with Outbox(
            tmp_path / "o.sqlite3", client.deliver, max_events=10, max_delay=5
        ) as box:
            for v in range(10):
                await box.put(d20_roll(v % 20 + 1))
            assert "80% full" in caplog.text
            with pytest.raises(OutboxFullError):
                await box.put(d20_roll(1))
            assert box.pending == 10


async def test_events_stored_while_core_is_down_survive_a_restart(
    tmp_path: Path, webhook_secret: str, core_client: CoreClient, core_app: Starlette
) -> None:
    path = tmp_path / "restart.sqlite3"
    async with httpx2.AsyncClient(timeout=0.5) as http:
        down = closed_port_client(webhook_secret, http)
        async with Outbox(path, down.deliver, max_delay=5) as box:
            for v in range(5):
                await box.put(d20_roll(v + 1))
            assert not await box.flush(timeout=0.3)
    async with Outbox(path, core_client.deliver, base_delay=0.05) as box:
        assert box.pending == 5
        assert await box.flush(timeout=5)
    assert len(await stored_rolls(core_app)) == 5
