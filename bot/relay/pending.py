"""Relayed lines not yet posted to Discord, kept in a SQLite file in `data_dir`.

A line is written here when it reaches the relay and deleted once Discord
took the post that carries it, so neither a long rate limit nor a restart
loses it; the next start posts what is left, in order. Delivery is at least
once: a post Discord took just before a crash is posted again.
"""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass
from pathlib import Path

import aiosqlite

from bot.relay.coalesce import Line
from core_client.files import private_file

log = logging.getLogger(__name__)

MEMORY = ":memory:"

SCHEMA = """
CREATE TABLE IF NOT EXISTS relay_pending (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    channel_id INTEGER NOT NULL,
    speaker TEXT NOT NULL,
    text TEXT NOT NULL,
    avatar_url TEXT,
    created_at REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS relay_pending_channel ON relay_pending (channel_id, seq);
"""


@dataclass(frozen=True, slots=True)
class Pending:
    """One stored line and its place in the queue."""

    seq: int
    line: Line


class PendingLines:
    """The relay's queue file: lines per channel, oldest first."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db

    @classmethod
    async def open(cls, path: str | Path = MEMORY) -> PendingLines:
        """Open (creating if needed) the queue file; `:memory:` keeps it in memory."""
        if str(path) != MEMORY:
            private_file(path)  # players' chat lines: the owner's alone, whatever the umask
        db = await aiosqlite.connect(path)
        await db.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;" + SCHEMA
        )
        return cls(db)

    async def close(self) -> None:
        """Close the file."""
        await self._db.close()

    async def add(self, channel_id: int, line: Line) -> None:
        """Keep a line for a channel, behind those already waiting."""
        await self._db.execute(
            "INSERT INTO relay_pending (channel_id, speaker, text, avatar_url, created_at) "
            "VALUES (?, ?, ?, ?, ?)",
            (channel_id, line.speaker, line.text, line.avatar_url, time.time()),
        )
        await self._db.commit()

    async def oldest(self, channel_id: int, limit: int) -> list[Pending]:
        """Return up to `limit` of a channel's lines, oldest first."""
        async with self._db.execute(
            "SELECT seq, speaker, text, avatar_url FROM relay_pending "
            "WHERE channel_id = ? ORDER BY seq LIMIT ?",
            (channel_id, limit),
        ) as cur:
            rows = await cur.fetchall()
        return [Pending(int(r[0]), Line(str(r[1]), str(r[2]), r[3])) for r in rows]

    async def remove(self, channel_id: int, up_to: int) -> None:
        """Forget a channel's lines up to and including sequence number `up_to`."""
        await self._db.execute(
            "DELETE FROM relay_pending WHERE channel_id = ? AND seq <= ?", (channel_id, up_to)
        )
        await self._db.commit()

    async def channels(self) -> list[int]:
        """Return the channels that have lines waiting."""
        async with self._db.execute(
            "SELECT DISTINCT channel_id FROM relay_pending ORDER BY channel_id"
        ) as cur:
            return [int(r[0]) for r in await cur.fetchall()]

    async def count(self, channel_id: int | None = None) -> int:
        """Return how many lines wait (in one channel, or in all)."""
        query, args = "SELECT count(*) FROM relay_pending", tuple[int, ...]()
        if channel_id is not None:
            query, args = query + " WHERE channel_id = ?", (channel_id,)
        async with self._db.execute(query, args) as cur:
            row = await cur.fetchone()
        return int(row[0]) if row else 0
