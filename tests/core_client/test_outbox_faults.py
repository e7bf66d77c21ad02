"""Nothing is lost and nothing doubles when Core or the sender goes down.

Both tests run Core on a real uvicorn on loopback with a SQLite file, and
count what Core stored against what was sent.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import signal
import sqlite3
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest
from sqlalchemy import func, select

from core_client import CoreClient, Outbox
from storage import db
from storage.app import create_app
from storage.models import Roll, WebhookEvent
from storage.settings import CoreSettings
from tests.core_client.outbox_sender import event_id
from tests.support.core import d20_roll
from tests.support.servers import RestartableServer

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture
async def core(tmp_path: Path, webhook_secret: str) -> AsyncIterator[RestartableServer]:
    """Run Core on loopback, restartable on the same port."""
    app = create_app(
        CoreSettings(
            database_url=f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3",
            signing_secrets=(webhook_secret,),
        )
    )
    server = RestartableServer(app)
    await server.start()
    try:
        yield server
    finally:
        await server.stop()


async def _stored(tmp_path: Path) -> tuple[int, int, int]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3")
    try:
        async with engine.connect() as conn:
            rolls = await conn.scalar(select(func.count()).select_from(Roll))
            keys = await conn.scalar(select(func.count(func.distinct(Roll.idempotency_key))))
            events = await conn.scalar(select(func.count()).select_from(WebhookEvent))
    finally:
        await engine.dispose()
    return int(rolls or 0), int(keys or 0), int(events or 0)


async def test_core_down_under_a_steady_stream_then_back_loses_nothing(
    core: RestartableServer,
    tmp_path: Path,
    webhook_secret: str,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.WARNING, logger="core_client.outbox")
    total = 300
    async with httpx2.AsyncClient(timeout=2.0) as http:
        client = CoreClient(core.url, http, signing_secrets=[webhook_secret])
        box = Outbox(
            tmp_path / "out.sqlite3", client.deliver, batch_size=25, base_delay=0.05, max_delay=0.25
        )
        async with box:
            for n in range(total):
                await box.put(d20_roll(n % 20 + 1))
                await asyncio.sleep(0.004)  # a steady ~250 rolls/s
                if n == 60:
                    await core.stop()
                if n == 200:
                    assert box.pending > 0  # rolls piled up while Core was down
                    await core.start()
            assert await box.flush(timeout=15)
    assert "delivery to Core failed" in caplog.text
    await core.stop()
    assert await _stored(tmp_path) == (total, total, total)


async def test_a_sender_killed_mid_stream_drains_after_restart(
    core: RestartableServer, tmp_path: Path, webhook_secret: str
) -> None:
    total = 400
    outbox = str(tmp_path / "killed.sqlite3")
    first = await _run_sender(core.url, webhook_secret, outbox, 0, total, kill_after=150)
    assert first < total - 1
    # At the kill, every roll the sender had stored is at Core or still in its outbox.
    delivered, _, _ = await _stored(tmp_path)
    assert delivered + _left_in(outbox) >= first + 1
    # The restarted sender picks up where its log says it was; its outbox
    # still holds what the first one stored but had not delivered.
    output = await _run_sender(core.url, webhook_secret, outbox, first + 1, total, kill_after=None)
    assert output == -1
    await core.stop()
    assert await _stored(tmp_path) == (total, total, total)
    assert await _event_ids(tmp_path) == {event_id(n) for n in range(total)}


async def _event_ids(tmp_path: Path) -> set[str]:
    engine = db.create_engine(f"sqlite+aiosqlite:///{tmp_path}/core.sqlite3")
    try:
        async with engine.connect() as conn:
            return set((await conn.scalars(select(WebhookEvent.event_id))).all())
    finally:
        await engine.dispose()


def _left_in(outbox: str) -> int:
    with contextlib.closing(sqlite3.connect(outbox)) as conn:
        return int(conn.execute("SELECT count(*) FROM outbox").fetchone()[0])


async def _run_sender(
    url: str, secret: str, outbox: str, first: int, last: int, kill_after: int | None
) -> int:
    """Run the sender; SIGKILL it once it has put `kill_after` rolls. Return the last put."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "tests.core_client.outbox_sender",
        url,
        secret,
        outbox,
        str(first),
        str(last),
        cwd=REPO,
        stdout=asyncio.subprocess.PIPE,
        env={**os.environ, "PYTHONPATH": str(REPO)},
    )
    assert proc.stdout is not None
    last_put = first - 1
    try:
        async with asyncio.timeout(18):
            while line := (await proc.stdout.readline()).decode().strip():
                if line.startswith("put "):
                    last_put = int(line.split()[1])
                    if kill_after is not None and last_put >= kill_after:
                        proc.send_signal(signal.SIGKILL)
                        break
                elif line == "drained":
                    last_put = -1
                elif line == "timeout":
                    pytest.fail("the restarted sender did not drain its outbox")
    finally:
        if proc.returncode is None:
            proc.kill()
        await proc.wait()
    return last_put
