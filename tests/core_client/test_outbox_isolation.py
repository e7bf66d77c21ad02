"""No event blocks the others, and no sender fault dead-letters an event.

Poison events (ones Core refuses, or fails on) must not hold up the events
behind them; a Core that is down, slow, or does not know the sender's key
must not cost a single event. Core is the real app, in process or on a real
uvicorn on loopback behind `FaultyCore`; the outbox is a real SQLite file.
"""

from __future__ import annotations

import contextlib
import dataclasses
import json
import logging
import math
import socket
import sqlite3
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
from starlette.applications import Starlette

from core_client import CoreClient, Event, EventType, Outbox, RecordError, signing
from core_client.contract import codec
from storage.app import create_app
from storage.settings import CoreSettings
from tests.support.core import d20_roll, poison_roll, stored_rolls
from tests.support.faults import FaultyCore, until
from tests.support.servers import serve

GOOD = 30


async def totals(app: Starlette) -> list[float]:
    return [r.total for r in await stored_rolls(app)]


async def test_a_poison_event_at_the_head_is_dead_lettered_and_the_rest_stored(
    outbox: Outbox, core_app: Starlette
) -> None:
    poison = poison_roll()
    await outbox.put(poison)
    for n in range(GOOD):
        await outbox.put(d20_roll(n % 20 + 1, occurred_at=1_700_000_000 + n))
    assert await outbox.flush(timeout=10)
    assert await totals(core_app) == [float(n % 20 + 1) for n in range(GOOD)]  # in order
    [dead] = await outbox.dead_letters()
    assert (dead.event_id, dead.type) == (poison.id, "roll.recorded")
    assert "groups[0].sides" in dead.reason  # Core's field and reason, verbatim


async def test_a_batch_core_refuses_whole_is_split_to_find_the_culprit(
    tmp_path: Path, webhook_secret: str
) -> None:
    # Core answers 413 for a body over its limit, naming no event: the outbox
    # must split the batch until the one oversized event is alone.
    settings = CoreSettings(
        database_url=f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3",
        signing_secrets=(webhook_secret,),
        max_body_bytes=8_192,
    )
    app = create_app(settings)
    huge = Event(EventType.ROLL_RECORDED, {**d20_roll(20).data, "raw": {"blob": "x" * 10_000}})
    async with app.router.lifespan_context(app), _client(app, webhook_secret) as client:
        async with Outbox(tmp_path / "o.sqlite3", client.deliver, base_delay=0.05) as box:
            for n in range(12):
                await box.put(d20_roll(n + 1, occurred_at=1_700_000_000 + n))
                if n == 5:
                    await box.put(huge)
            assert await box.flush(timeout=10)
            [dead] = await box.dead_letters()
        assert await totals(app) == [float(n + 1) for n in range(12)]
    assert dead.event_id == huge.id
    assert "413" in dead.reason


async def test_an_event_json_cannot_carry_is_refused_at_put_and_an_old_one_buried(
    tmp_path: Path, core_client: CoreClient, core_app: Starlette
) -> None:
    path = tmp_path / "legacy.sqlite3"
    async with Outbox(path, core_client.deliver) as box:
        with pytest.raises(RecordError, match="data"):
            await box.put(Event(EventType.ROLL_RECORDED, {**d20_roll(3).data, "total": math.nan}))
        assert box.pending == 0
    # An older sender stored NaN as is; such a row can never be sent.
    legacy = {**codec.to_builtins(d20_roll(3)), "id": "evt_legacy_nan"}
    body = json.dumps(legacy | {"data": {**legacy["data"], "total": float("nan")}})
    with sqlite3.connect(path) as conn:
        conn.execute(
            "INSERT INTO outbox (event_id, body, created_at) VALUES (?, ?, 0)",
            ("evt_legacy_nan", body),
        )
    async with Outbox(path, core_client.deliver, base_delay=0.05) as box:
        await box.put(d20_roll(4))
        assert await box.flush(timeout=10)
        [dead] = await box.dead_letters()
    assert (dead.event_id, "finite" in dead.reason) == ("evt_legacy_nan", True)
    assert await totals(core_app) == [4.0]


# -- Core or the sender at fault: hold everything, lose nothing ------------


@pytest.fixture
async def faulty(core_app: Starlette) -> AsyncIterator[tuple[FaultyCore, str]]:
    """Serve the real Core on loopback behind a fault switch."""
    gate = FaultyCore(core_app)
    async with serve(gate) as url:
        yield gate, url


@pytest.mark.parametrize("fault", ["503", "timeout", "connection"])
async def test_core_down_or_slow_holds_every_event_until_it_recovers(
    faulty: tuple[FaultyCore, str], core_app: Starlette, tmp_path: Path, webhook_secret: str,
    fault: str, caplog: pytest.LogCaptureFixture,
) -> None:  # fmt: skip
    caplog.set_level(logging.WARNING, logger="core_client.outbox")
    gate, url = faulty
    gate.status, gate.hang = (503 if fault == "503" else None), fault == "timeout"
    if fault == "connection":
        url = _closed_url()
    async with httpx2.AsyncClient(timeout=0.5) as http:
        down = CoreClient(url, http, signing_secrets=[webhook_secret])
        path = tmp_path / "held.sqlite3"
        async with Outbox(path, down.deliver, base_delay=0.01, max_delay=0.05) as box:
            for n in range(5):
                await box.put(d20_roll(n + 1))
            await until(lambda: _failed_at_least(box, 3))
            assert (await box.dead_letters(), box.pending) == ([], 5)
            assert "none dead-lettered" in caplog.text
        gate.heal()
        up = CoreClient(faulty[1], http, signing_secrets=[webhook_secret])
        async with Outbox(path, up.deliver, base_delay=0.01, max_delay=0.05) as box:
            assert await box.flush(timeout=20)
            assert await box.dead_letters() == []
    assert sorted(await totals(core_app)) == [1.0, 2.0, 3.0, 4.0, 5.0]


async def test_a_key_core_does_not_know_holds_events_and_says_so_once(
    core_settings: CoreSettings, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    # A rotation done in the wrong order: the sender signs with a key Core
    # does not know yet. Every event waits; none is dead-lettered.
    caplog.set_level(logging.WARNING, logger="core_client.outbox")
    new_key = signing.generate_secret()
    old_core = create_app(core_settings)
    async with old_core.router.lifespan_context(old_core):
        gate = FaultyCore(old_core)
        async with _client(gate, new_key) as client:
            path = tmp_path / "rotated.sqlite3"
            async with Outbox(path, client.deliver, base_delay=0.01, max_delay=0.05) as box:
                for n in range(5):
                    await box.put(d20_roll(n + 1))
                await until(lambda: _failed_at_least(box, 4))
                assert (await box.dead_letters(), box.pending) == ([], 5)
                status = await box.status()
                assert "401" in str(status.last_error)
                # Core learns the new key (its operator fixes the order).
                rotated = _with_keys(core_settings, (*core_settings.signing_secrets, new_key))
                new_core = create_app(rotated)
                async with new_core.router.lifespan_context(new_core):
                    gate.app = new_core
                    assert await box.flush(timeout=20)
                    assert await totals(new_core) == [1.0, 2.0, 3.0, 4.0, 5.0]
    alarms = [r for r in caplog.records if "delivery to Core failed" in r.getMessage()]
    assert [r.levelno for r in alarms] == [logging.ERROR]  # loud, and only once a minute
    assert "signing key" in alarms[0].getMessage()


async def test_a_wrong_core_url_holds_events_instead_of_burying_them(
    core_app: Starlette, tmp_path: Path, webhook_secret: str
) -> None:
    transport = httpx2.ASGITransport(app=core_app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
        lost = CoreClient("http://core/not-core", http, signing_secrets=[webhook_secret])
        async with Outbox(tmp_path / "o.sqlite3", lost.deliver, base_delay=0.01) as box:
            await box.put(d20_roll(6))
            await until(lambda: _failed_at_least(box, 2))
            status = await box.status()
            assert (await box.dead_letters(), status.count) == ([], 1)
            assert "404" in str(status.last_error)


async def test_an_event_core_fails_on_is_held_back_alone_and_the_rest_delivered(
    faulty: tuple[FaultyCore, str], core_app: Starlette, tmp_path: Path, webhook_secret: str
) -> None:
    gate, url = faulty
    poison = d20_roll(20, occurred_at=1_600_000_000)
    gate.fail_on = {poison.id}  # a Core bug this one event triggers: a 500, every time
    async with httpx2.AsyncClient(timeout=5) as http:
        client = CoreClient(url, http, signing_secrets=[webhook_secret])
        path = tmp_path / "bug.sqlite3"
        async with Outbox(path, client.deliver, base_delay=0.05, max_delay=0.2) as box:
            await box.put(poison)
            for n in range(GOOD):
                await box.put(d20_roll(n % 19 + 1, occurred_at=1_700_000_000 + n))
            await until(lambda: _pending_is(box, 1))
            assert await totals(core_app) == [float(n % 19 + 1) for n in range(GOOD)]
            assert await box.dead_letters() == []  # a 500 is Core's fault: retried, not buried
            gate.heal()  # Core's bug is fixed
            assert await box.flush(timeout=20)
    assert (await totals(core_app))[0] == 20.0


@contextlib.asynccontextmanager
async def _client(app: Any, secret: str) -> AsyncIterator[CoreClient]:
    """Return a client signing with `secret`, talking to `app` in process."""
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
        yield CoreClient("http://core", http, signing_secrets=[secret])


def _with_keys(settings: CoreSettings, keys: tuple[str, ...]) -> CoreSettings:
    return dataclasses.replace(settings, signing_secrets=keys)


def _closed_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


async def _failed_at_least(box: Outbox, attempts: int) -> bool:
    return (await box.status()).failures >= attempts


async def _pending_is(box: Outbox, count: int) -> bool:
    return box.pending == count
