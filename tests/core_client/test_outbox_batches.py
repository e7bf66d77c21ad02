"""The outbox's batches against a real in-process Core whose body limit is small."""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncIterator, Sequence
from pathlib import Path

import httpx2
import pytest
from starlette.applications import Starlette

from core_client import CoreClient, Event, Outbox
from core_client.contract.receipts import DeliveryReceipt
from core_client.errors import DeliveryError
from storage.app import create_app
from storage.settings import CoreSettings
from tests.support.core import d20_roll, stored_rolls

CORE_LIMIT = 16_384  # Core's max_body_bytes here: five of the events below


@pytest.fixture
async def small_core(core_settings: CoreSettings) -> AsyncIterator[Starlette]:
    app = create_app(dataclasses.replace(core_settings, max_body_bytes=CORE_LIMIT))
    async with app.router.lifespan_context(app):
        yield app


def big_roll(value: int) -> Event:
    """Return a VTT-sized roll: about 3 KB of JSON, most of it the VTT's raw payload."""
    event = d20_roll(value)
    return Event(event.type, {**event.data, "raw": {"html": "x" * 3000}})


class Recorder:
    """Delivers through the real client, noting each delivery's size and refusals."""

    def __init__(self, client: CoreClient) -> None:
        self.client = client
        self.sizes: list[int] = []
        self.refused: list[DeliveryError] = []

    async def deliver(self, events: Sequence[Event]) -> DeliveryReceipt:
        self.sizes.append(len(events))
        try:
            return await self.client.deliver(events)
        except DeliveryError as exc:
            self.refused.append(exc)
            raise


@pytest.fixture
async def recorder(small_core: Starlette, webhook_secret: str) -> AsyncIterator[Recorder]:
    transport = httpx2.ASGITransport(app=small_core)
    async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
        yield Recorder(CoreClient("http://core", http, signing_secrets=[webhook_secret]))


async def send_big_rolls(path: Path, recorder: Recorder, count: int, batch_bytes: int) -> None:
    """Queue `count` big rolls in a fresh outbox and drain it; nothing may be dead-lettered."""
    async with Outbox(path, recorder.deliver, batch_bytes=batch_bytes, base_delay=0.05) as box:
        for v in range(count):
            await box.put(big_roll(v + 1))
        assert await box.flush(timeout=10)
        assert await box.dead_letters() == []


async def test_a_backlog_goes_in_batches_under_the_byte_limit(
    tmp_path: Path, recorder: Recorder, small_core: Starlette
) -> None:
    await send_big_rolls(tmp_path / "out.sqlite3", recorder, 12, batch_bytes=12_000)
    assert recorder.refused == []  # no body was too large for Core
    assert len(recorder.sizes) > 1
    assert max(recorder.sizes) <= 3
    assert sum(recorder.sizes) == 12
    assert len(await stored_rolls(small_core)) == 12


async def test_an_event_larger_than_the_byte_limit_goes_alone(
    tmp_path: Path, recorder: Recorder, small_core: Starlette
) -> None:
    await send_big_rolls(tmp_path / "out.sqlite3", recorder, 3, batch_bytes=1024)
    assert recorder.sizes == [1, 1, 1]
    assert recorder.refused == []
    assert len(await stored_rolls(small_core)) == 3
