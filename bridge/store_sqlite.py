"""The bridge's durable state store: a SQLite file in `data_dir`.

With the in-process bus, the bridge's tokens, links, revocation marks and
pairing codes used to live in a dict, so a restart logged every extension
out. `SqliteStore` keeps them in a file instead, so `fumblebot run` restarted
mid-session keeps every pairing. Expiry is wall-clock (Unix seconds), since
monotonic time starts again with the process.

`take` is one `DELETE ... RETURNING` statement: a code or ticket is handed to
one caller only, as with Redis's GETDEL. `claim` and `release` are one
conditional upsert and one conditional delete, atomic in SQLite as the Lua
scripts are in Redis.
"""

from __future__ import annotations

import logging
import time
from pathlib import Path

import aiosqlite

from core_client.files import private_file

log = logging.getLogger(__name__)

SWEEP_EVERY = 1024  # writes between sweeps of expired keys

SCHEMA = """
CREATE TABLE IF NOT EXISTS bridge_state (
    key TEXT PRIMARY KEY,
    value TEXT NOT NULL,
    expires_at REAL
);
CREATE INDEX IF NOT EXISTS bridge_state_expiry ON bridge_state (expires_at)
    WHERE expires_at IS NOT NULL;
"""

LIVE = "(expires_at IS NULL OR expires_at > ?)"


class SqliteStore:
    """A `StateStore` on one SQLite file; the bridge's default outside tests."""

    def __init__(self, db: aiosqlite.Connection) -> None:
        self._db = db
        self._writes = 0

    @classmethod
    async def open(cls, path: str | Path) -> SqliteStore:
        """Open (creating if needed) the state file and drop what has expired."""
        private_file(path)  # link tokens and grants: the owner's alone, whatever the umask
        db = await aiosqlite.connect(path)
        await db.executescript(
            "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA busy_timeout=5000;" + SCHEMA
        )
        store = cls(db)
        await store.sweep()
        return store

    async def close(self) -> None:
        """Close the file."""
        await self._db.close()

    async def put(self, key: str, value: str, ttl: float | None = None) -> None:
        """Set a key, replacing any value, to expire after `ttl` seconds."""
        await self._db.execute(
            "INSERT INTO bridge_state (key, value, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "expires_at = excluded.expires_at",
            (key, value, _expiry(ttl)),
        )
        await self._written()

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Set a key only if it is absent (or expired); return whether it was set."""
        cur = await self._db.execute(
            "INSERT INTO bridge_state (key, value, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "expires_at = excluded.expires_at "
            # Only an expired key may be overwritten: a live one stays.
            "WHERE bridge_state.expires_at IS NOT NULL AND bridge_state.expires_at <= ?",
            (key, value, _expiry(ttl), time.time()),
        )
        added = cur.rowcount > 0
        await self._written()
        return added

    async def get(self, key: str) -> str | None:
        """Return a key's value, or None when it is absent or expired."""
        async with self._db.execute(
            f"SELECT value FROM bridge_state WHERE key = ? AND {LIVE}", (key, time.time())
        ) as cur:
            row = await cur.fetchone()
        return None if row is None else str(row[0])

    async def take(self, key: str) -> str | None:
        """Return a key's value and delete it, so only one caller gets it."""
        async with self._db.execute(
            "DELETE FROM bridge_state WHERE key = ? RETURNING value, expires_at", (key,)
        ) as cur:
            row = await cur.fetchone()
        await self._db.commit()
        if row is None or (row[1] is not None and float(row[1]) <= time.time()):
            return None
        return str(row[0])

    async def delete(self, key: str) -> bool:
        """Delete a key; return whether it existed (and had not expired)."""
        return await self.take(key) is not None

    async def claim(self, key: str, value: str, ttl: float) -> tuple[str, float]:
        """Set `key` to `value` for `ttl` if absent, expired or equal; return the holder."""
        now = time.time()
        await self._db.execute(
            "INSERT INTO bridge_state (key, value, expires_at) VALUES (?, ?, ?) "
            "ON CONFLICT (key) DO UPDATE SET value = excluded.value, "
            "expires_at = excluded.expires_at "
            # Ours (renew), or expired (free): anyone else's live lease stays.
            "WHERE bridge_state.value = excluded.value OR "
            "(bridge_state.expires_at IS NOT NULL AND bridge_state.expires_at <= ?)",
            (key, value, now + ttl, now),
        )
        await self._written()
        async with self._db.execute(
            "SELECT value, expires_at FROM bridge_state WHERE key = ?", (key,)
        ) as cur:
            row = await cur.fetchone()
        if row is None or row[0] == value:  # ours (a sweep between the two can only drop ours)
            return value, ttl
        left = ttl if row[1] is None else max(0.0, float(row[1]) - time.time())
        return str(row[0]), left

    async def release(self, key: str, value: str) -> bool:
        """Delete `key` only if it holds `value` and is live."""
        cur = await self._db.execute(
            f"DELETE FROM bridge_state WHERE key = ? AND value = ? AND {LIVE}",
            (key, value, time.time()),
        )
        await self._db.commit()
        return cur.rowcount > 0

    async def sweep(self) -> int:
        """Delete every expired key; return how many."""
        cur = await self._db.execute(
            "DELETE FROM bridge_state WHERE expires_at IS NOT NULL AND expires_at <= ?",
            (time.time(),),
        )
        await self._db.commit()
        return cur.rowcount

    async def _written(self) -> None:
        await self._db.commit()
        self._writes += 1
        if self._writes % SWEEP_EVERY == 0:
            swept = await self.sweep()
            log.debug("swept %d expired bridge state keys", swept)


def _expiry(ttl: float | None) -> float | None:
    return None if ttl is None else time.time() + ttl
