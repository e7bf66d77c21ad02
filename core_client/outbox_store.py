"""The outbox's SQLite file: the queue, the dead letters and the drain's state.

The drain (`core_client/outbox.py`) and the `fumblebot outbox` command both
work through this one module, so the file has one schema and one set of
queries. SQLite in WAL mode lets the command read and edit the file while a
service drains it; `busy_timeout` makes the two writers wait for each other.
Files written before per-event retries existed gain the new columns on open.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from core_client.errors import CoreClientError
from core_client.files import private_file

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letter (
    event_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    failed_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS drain_state (
    id INTEGER PRIMARY KEY CHECK (id = 1),
    failures INTEGER NOT NULL,
    next_attempt_at REAL,
    last_error TEXT,
    updated_at REAL NOT NULL
);
"""

# Columns added after the first release: (table, column, declaration).
ADDED_COLUMNS = (
    ("outbox", "attempts", "INTEGER NOT NULL DEFAULT 0"),
    ("outbox", "next_attempt_at", "REAL NOT NULL DEFAULT 0"),
    ("outbox", "last_error", "TEXT"),
    ("dead_letter", "type", "TEXT NOT NULL DEFAULT ''"),
)


@dataclass(frozen=True, slots=True)
class Queued:
    """One event waiting in the queue, as stored."""

    seq: int
    event_id: str
    body: str
    attempts: int


@dataclass(frozen=True, slots=True)
class DeadLetter:
    """One event Core refused for good, kept to inspect, retry or drop."""

    event_id: str
    type: str
    reason: str
    failed_at: float


@dataclass(frozen=True, slots=True)
class QueueStatus:
    """What the queue holds and how the drain is doing."""

    count: int
    oldest_at: float | None
    deferred: int  # events held back on their own after Core failed on them
    next_attempt_at: float | None  # when the drain tries again, if it is backing off
    last_error: str | None
    failures: int


class OutboxStore:
    """Read and write an outbox file."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def open(cls, path: str | Path) -> OutboxStore:
        """Open (creating if needed) an outbox file."""
        private_file(path)
        db = await aiosqlite.connect(path)
        await db.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;" + SCHEMA
        )
        for table, column, declaration in ADDED_COLUMNS:
            async with db.execute(f"PRAGMA table_info({table})") as cur:
                columns = {str(row[1]) for row in await cur.fetchall()}
            if column not in columns:
                await db.execute(f"ALTER TABLE {table} ADD COLUMN {column} {declaration}")
        await db.commit()
        return cls(db)

    async def close(self) -> None:
        """Close the file."""
        await self._db.close()

    async def count(self) -> int:
        """Return how many events wait in the queue."""
        return await self._scalar("SELECT count(*) FROM outbox")

    async def insert(self, event_id: str, body: str) -> bool:
        """Queue an event body; return False if that event id is already queued."""
        cur = await self._db.execute(
            "INSERT OR IGNORE INTO outbox (event_id, body, created_at) VALUES (?, ?, ?)",
            (event_id, body, time.time()),
        )
        await self._db.commit()
        return bool(cur.rowcount)

    async def due(self, limit: int) -> list[Queued]:
        """Return the oldest events not held back, in queue order."""
        async with self._db.execute(
            "SELECT seq, event_id, body, attempts FROM outbox WHERE next_attempt_at <= ? "
            "ORDER BY seq LIMIT ?",
            (time.time(), limit),
        ) as cur:
            rows = await cur.fetchall()
        return [Queued(int(r[0]), str(r[1]), str(r[2]), int(r[3])) for r in rows]

    async def next_deferred(self) -> float | None:
        """Return when the earliest held-back event is due again, if any is."""
        async with self._db.execute(
            "SELECT min(next_attempt_at) FROM outbox WHERE next_attempt_at > ?", (time.time(),)
        ) as cur:
            row = await cur.fetchone()
        return float(row[0]) if row and row[0] is not None else None

    async def remove(self, seqs: Sequence[int]) -> None:
        """Delete delivered events from the queue."""
        await self._db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
        await self._db.commit()

    async def bury(self, item: Queued, reason: str) -> None:
        """Move an event from the queue to the dead letters, with the reason."""
        await self._db.execute(
            "INSERT OR REPLACE INTO dead_letter (event_id, body, reason, failed_at, type) "
            "VALUES (?, ?, ?, ?, ?)",
            (item.event_id, item.body, reason, time.time(), _type_of(item.body)),
        )
        await self._db.execute("DELETE FROM outbox WHERE seq = ?", (item.seq,))
        await self._db.commit()

    async def defer(self, item: Queued, until: float, error: str) -> None:
        """Hold one event back until `until`; the events behind it go on."""
        await self._db.execute(
            "UPDATE outbox SET attempts = attempts + 1, next_attempt_at = ?, last_error = ? "
            "WHERE seq = ?",
            (until, error, item.seq),
        )
        await self._db.commit()

    async def note_failure(self, failures: int, retry_at: float | None, error: str | None) -> None:
        """Record how the drain is doing, for `fumblebot outbox` to show."""
        await self._db.execute(
            "INSERT OR REPLACE INTO drain_state "
            "(id, failures, next_attempt_at, last_error, updated_at) VALUES (1, ?, ?, ?, ?)",
            (failures, retry_at, error, time.time()),
        )
        await self._db.commit()

    async def status(self) -> QueueStatus:
        """Return the queue's size, age and the drain's last trouble."""
        async with self._db.execute(
            "SELECT count(*), min(created_at), sum(next_attempt_at > ?) FROM outbox",
            (time.time(),),
        ) as cur:
            count, oldest, deferred = await cur.fetchone() or (0, None, 0)
        async with self._db.execute(
            "SELECT failures, next_attempt_at, last_error FROM drain_state WHERE id = 1"
        ) as cur:
            failures, retry_at, error = await cur.fetchone() or (0, None, None)
        return QueueStatus(int(count), oldest, int(deferred or 0), retry_at, error, int(failures))

    async def dead_letters(self) -> list[DeadLetter]:
        """Return every dead letter, oldest first."""
        async with self._db.execute(
            "SELECT event_id, type, reason, failed_at FROM dead_letter ORDER BY failed_at"
        ) as cur:
            rows = await cur.fetchall()
        return [DeadLetter(str(r[0]), str(r[1]), str(r[2]), float(r[3])) for r in rows]

    async def requeue(self, event_ids: Sequence[str] | None) -> list[str]:
        """Put dead letters (all, or those ids) back at the end of the queue."""
        chosen = await self._chosen(event_ids)
        for event_id in chosen:
            await self._db.execute(
                "INSERT OR IGNORE INTO outbox (event_id, body, created_at) "
                "SELECT event_id, body, ? FROM dead_letter WHERE event_id = ?",
                (time.time(), event_id),
            )
            await self._db.execute("DELETE FROM dead_letter WHERE event_id = ?", (event_id,))
        await self._db.commit()
        return chosen

    async def drop(self, event_ids: Sequence[str] | None) -> list[str]:
        """Delete dead letters (all, or those ids) for good."""
        chosen = await self._chosen(event_ids)
        await self._db.executemany(
            "DELETE FROM dead_letter WHERE event_id = ?", [(e,) for e in chosen]
        )
        await self._db.commit()
        return chosen

    async def _chosen(self, event_ids: Sequence[str] | None) -> list[str]:
        known = [d.event_id for d in await self.dead_letters()]
        if event_ids is None:
            return known
        missing = sorted(set(event_ids) - set(known))
        if missing:
            raise CoreClientError(f"no dead letter with id {', '.join(missing)}")
        return [e for e in known if e in set(event_ids)]

    async def _scalar(self, sql: str) -> int:
        async with self._db.execute(sql) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0


def _type_of(body: str) -> str:
    """Return an event body's type, or '' if the body is not even readable."""
    try:
        kind = json.loads(body).get("type")
    except (ValueError, AttributeError):
        return ""
    return kind if isinstance(kind, str) else ""
