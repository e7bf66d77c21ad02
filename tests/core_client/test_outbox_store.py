"""The outbox file: one written by an older sender still opens and drains."""

from __future__ import annotations

import contextlib
import json
import sqlite3
from pathlib import Path

from starlette.applications import Starlette

from core_client import CoreClient, Outbox
from core_client.contract import codec
from core_client.outbox_store import OutboxStore
from tests.support.core import d20_roll, stored_rolls

OLD_SCHEMA = """
CREATE TABLE outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE dead_letter (
    event_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    failed_at REAL NOT NULL
);
"""


async def test_a_file_from_before_per_event_retries_gains_its_columns_and_drains(
    tmp_path: Path, core_client: CoreClient, core_app: Starlette
) -> None:
    path = tmp_path / "old.sqlite3"
    roll, refused = d20_roll(9), d20_roll(2)
    with contextlib.closing(sqlite3.connect(path)) as conn:
        conn.executescript(OLD_SCHEMA)
        conn.execute(
            "INSERT INTO outbox (event_id, body, created_at) VALUES (?, ?, 1)",
            (roll.id, json.dumps(codec.to_builtins(roll))),
        )
        conn.execute(
            "INSERT INTO dead_letter VALUES (?, ?, 'campaign_id: must be a string', 2)",
            (refused.id, json.dumps(codec.to_builtins(refused))),
        )
        conn.commit()
    async with Outbox(path, core_client.deliver, base_delay=0.05) as box:
        assert box.pending == 1
        assert await box.flush(timeout=10)
        [dead] = await box.dead_letters()
    assert [r.total for r in await stored_rolls(core_app)] == [9.0]
    assert (dead.event_id, dead.reason) == (refused.id, "campaign_id: must be a string")
    store = await OutboxStore.open(path)
    try:
        assert await store.requeue([refused.id]) == [refused.id]
        assert (await store.status()).count == 1
    finally:
        await store.close()
