"""Short-lived bridge state: pairing codes, tokens, stream tickets, dedup marks.

`StateStore` is the small interface the bridge needs: put with a TTL, add if
absent, get, take (get and delete at once, which is what makes codes and
tickets single-use) and delete; and, for leases held by one of several
clients (`bridge.lease`), `claim` (set if absent or already ours, renewing
the TTL; else say who holds it) and `release` (delete only if ours), each
one atomic step, so two bridge instances cannot both hand a lease out.
`MemoryStore` is for tests (it forgets everything with the process);
`SqliteStore` (`bridge/store_sqlite.py`) is the durable default of one
process, and `RedisStore` (`bridge/store_redis.py`) lets several bridge
instances share the state.
"""

from __future__ import annotations

import time
from typing import Protocol

SWEEP_EVERY = 1024  # writes between sweeps of expired keys in memory


class StateStore(Protocol):
    """Key-value state with expiry; values are strings (JSON by convention)."""

    async def put(self, key: str, value: str, ttl: float | None = None) -> None: ...

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool: ...

    async def get(self, key: str) -> str | None: ...

    async def take(self, key: str) -> str | None: ...

    async def delete(self, key: str) -> bool: ...

    async def claim(self, key: str, value: str, ttl: float) -> tuple[str, float]: ...

    async def release(self, key: str, value: str) -> bool: ...


class MemoryStore:
    """The in-process store: a dict with lazy expiry."""

    def __init__(self) -> None:
        self._data: dict[str, tuple[str, float | None]] = {}
        self._writes = 0

    async def put(self, key: str, value: str, ttl: float | None = None) -> None:
        """Set a key, replacing any value, to expire after `ttl` seconds."""
        self._sweep()
        self._data[key] = (value, None if ttl is None else time.monotonic() + ttl)

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Set a key only if it is absent; return whether it was set."""
        if await self.get(key) is not None:
            return False
        await self.put(key, value, ttl)
        return True

    async def get(self, key: str) -> str | None:
        """Return a key's value, or None when it is absent or expired."""
        item = self._data.get(key)
        if item is None:
            return None
        value, expires = item
        if expires is not None and expires <= time.monotonic():
            del self._data[key]
            return None
        return value

    async def take(self, key: str) -> str | None:
        """Return a key's value and delete it, so only one caller gets it."""
        value = await self.get(key)
        self._data.pop(key, None)
        return value

    async def delete(self, key: str) -> bool:
        """Delete a key; return whether it existed."""
        return await self.take(key) is not None

    async def claim(self, key: str, value: str, ttl: float) -> tuple[str, float]:
        """Set `key` to `value` for `ttl` if absent or equal; return its holder and time left."""
        current = await self.get(key)
        if current is None or current == value:
            await self.put(key, value, ttl)
            return value, ttl
        _, expires = self._data[key]
        return current, max(0.0, (expires or time.monotonic()) - time.monotonic())

    async def release(self, key: str, value: str) -> bool:
        """Delete `key` only if it holds `value`; return whether it did."""
        if await self.get(key) != value:
            return False
        return await self.delete(key)

    def _sweep(self) -> None:
        self._writes += 1
        if self._writes % SWEEP_EVERY:
            return
        now = time.monotonic()
        for key in [k for k, (_, exp) in self._data.items() if exp is not None and exp <= now]:
            del self._data[key]
