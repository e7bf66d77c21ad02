"""The events a benchmark run sends, and the raw executemany baseline for them."""

from __future__ import annotations

import json
import os
import random
import sqlite3
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url

from core_client import Event, Platform, RollRecord
from core_client.contract import DiceGroup, Die, codec
from storage.handlers.rolls import roll_row

CAMPAIGNS = [f"guild:{n}" for n in range(5)]
ACTORS = [str(1000 + n) for n in range(20)]


def make_events(n: int, seed: int = 1) -> list[Event]:
    """Return `n` roll events like the bot sends: 1d20+5 attacks and 2d6 damage."""
    rng = random.Random(seed)
    events = []
    for i in range(n):
        sides, count = (20, 1) if i % 2 else (6, 2)
        dice = tuple(Die(sides, rng.randint(1, sides)) for _ in range(count))
        total = sum(d.value for d in dice) + 5
        record = RollRecord(
            platform=Platform.DISCORD,
            campaign_id=rng.choice(CAMPAIGNS),
            formula=f"{count}d{sides}+5",
            total=total,
            groups=(DiceGroup(f"{count}d{sides}", sides, dice, subtotal=total - 5),),
            actor_id=rng.choice(ACTORS),
            actor_name="bench",
            label="Attack",
        )
        events.append(record.event())
    return events


ROLL_COLUMNS = [
    "id", "idempotency_key", "platform", "source_message_id", "campaign_key", "game_id",
    "actor_id", "actor_name", "character_name", "formula", "total", "label", "visibility",
    "crit", "fumble", "crit_type", "groups", "raw", "rolled_at", "created_at", "updated_at",
]  # fmt: skip


Rows = tuple[list[tuple[Any, ...]], list[tuple[Any, ...]]]


def baseline_rows(url: str, events: list[Event]) -> Rows:
    """Return the (webhook_events, rolls) rows of `events`, as the driver of `url` takes them."""
    claims, rolls = _rows(events)
    if make_url(url).get_backend_name() == "sqlite":
        claims = [tuple(sqlite_value(v) for v in c) for c in claims]
        rolls = [tuple(sqlite_value(v) for v in r) for r in rolls]
    return claims, rolls


def _rows(events: list[Event]) -> Rows:
    now = datetime.now(UTC)
    claims, rolls = [], []
    for event in events:
        record = codec.decode(event.data, RollRecord)
        row = roll_row(record, event.occurred_at)
        row["groups"] = codec.encode(row["groups"]).decode()
        row["raw"] = json.dumps(row["raw"])
        rolls.append(tuple(row[c] for c in ROLL_COLUMNS))
        claims.append((event.id, event.type.value, row["rolled_at"], now, now))
    return claims, rolls


async def baseline_insert(url: str, rows: Rows) -> float:
    """Insert prepared rows with the driver's executemany, in one transaction.

    Returns the CPU seconds the PostgreSQL backend spent on it (0.0 on SQLite).
    """
    claims, rolls = rows
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        _sqlite_insert(str(parsed.database), claims, rolls)
        return 0.0
    return await _postgres_insert(url, claims, rolls)


def _sqlite_insert(path: str, claims: list[tuple[Any, ...]], rolls: list[tuple[Any, ...]]) -> None:
    conn = sqlite3.connect(path)
    try:
        conn.execute("PRAGMA journal_mode=WAL")
        conn.execute("PRAGMA synchronous=NORMAL")
        with conn:
            conn.executemany("INSERT INTO webhook_events VALUES (?, ?, ?, ?, ?)", claims)
            marks = ", ".join("?" * len(ROLL_COLUMNS))
            conn.executemany(
                f"INSERT INTO rolls ({', '.join(ROLL_COLUMNS)}) VALUES ({marks})", rolls
            )
    finally:
        conn.close()


def sqlite_value(value: Any) -> Any:
    """Store a value as SQLAlchemy's SQLite types do (UUID as hex, datetime as text)."""
    if isinstance(value, uuid.UUID):
        return value.hex
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M:%S.%f")
    return value


async def _postgres_insert(
    url: str, claims: list[tuple[Any, ...]], rolls: list[tuple[Any, ...]]
) -> float:
    import asyncpg

    dsn = url.replace("postgresql+asyncpg://", "postgresql://", 1)
    conn = await asyncpg.connect(dsn)
    try:
        backend = await conn.fetchval("SELECT pg_backend_pid()")
        before = cpu_seconds(backend)
        async with conn.transaction():
            await conn.executemany(
                "INSERT INTO webhook_events (event_id, type, occurred_at, created_at, updated_at) "
                "VALUES ($1, $2, $3, $4, $5)",
                claims,
            )
            await conn.executemany(_postgres_roll_insert(), rolls)
        return cpu_seconds(backend) - before
    finally:
        await conn.close()


def cpu_seconds(pid: int) -> float:
    """Return the user + system CPU time of a process on this machine (Linux /proc)."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def cpu_ns(pid: int) -> int:
    """Return the CPU nanoseconds of a process's live threads (Linux schedstat).

    /proc's user and system times count in clock ticks (10 ms: 2 us per event
    of a 5,000-event run), too coarse for a change of a few percent. A thread
    that has ended takes its count with it (`bench.core.compare` checks the
    sum against the ticks).
    """
    tasks = Path(f"/proc/{pid}/task")
    return sum(int((t / "schedstat").read_text().split()[0]) for t in tasks.iterdir())


def _postgres_roll_insert() -> str:
    json_columns = {"groups", "raw"}
    marks = [
        f"${i}::json" if name in json_columns else f"${i}" for i, name in enumerate(ROLL_COLUMNS, 1)
    ]
    return f"INSERT INTO rolls ({', '.join(ROLL_COLUMNS)}) VALUES ({', '.join(marks)})"
