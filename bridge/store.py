"""Short-lived bridge state: pairing codes, tokens, stream tickets, dedup marks.

`StateStore` is the small interface the bridge needs: put with a TTL, add if
absent, get, take (get and delete at once, which is what makes codes and
tickets single-use) and delete; and, for leases held by one of several
clients (`bridge.lease`), `claim` (set if absent or already ours, renewing
the TTL; else say who holds it) and `release` (delete only if ours), each
one atomic step, so two bridge instances cannot both hand a lease out.
`MemoryStore` is for tests (it forgets everything with the process);
`SqliteStore` (`bridge/store_sqlite.py`) is the durable default of one
process, and `RedisStore` lets several bridge instances share the state.
"""

from __future__ import annotations

import time
from typing import Protocol

from redis.asyncio import Redis

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


# Compare-and-renew: take or renew the key when it is free or ours, else report the holder.
_CLAIM = """
local current = redis.call('GET', KEYS[1])
if (not current) or current == ARGV[1] then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return {ARGV[1], tonumber(ARGV[2])}
end
return {current, redis.call('PTTL', KEYS[1])}
"""
# Compare-and-delete: only the holder's value deletes the key.
_RELEASE = """
if redis.call('GET', KEYS[1]) == ARGV[1] then
  return redis.call('DEL', KEYS[1])
end
return 0
"""


class RedisStore:
    """The shared store, for several bridge instances on one Redis."""

    def __init__(self, redis: Redis, prefix: str = "fb:bridge:") -> None:
        self._redis = redis
        self._prefix = prefix
        self._claim = redis.register_script(_CLAIM)
        self._release = redis.register_script(_RELEASE)

    async def put(self, key: str, value: str, ttl: float | None = None) -> None:
        """Set a key, replacing any value, to expire after `ttl` seconds."""
        await self._redis.set(self._prefix + key, value, px=_ms(ttl))

    async def add(self, key: str, value: str, ttl: float | None = None) -> bool:
        """Set a key only if it is absent; return whether it was set."""
        return bool(await self._redis.set(self._prefix + key, value, px=_ms(ttl), nx=True))

    async def get(self, key: str) -> str | None:
        """Return a key's value, or None."""
        return _text(await self._redis.get(self._prefix + key))

    async def take(self, key: str) -> str | None:
        """Return a key's value and delete it atomically (GETDEL)."""
        return _text(await self._redis.getdel(self._prefix + key))

    async def delete(self, key: str) -> bool:
        """Delete a key; return whether it existed."""
        return bool(await self._redis.delete(self._prefix + key))

    async def claim(self, key: str, value: str, ttl: float) -> tuple[str, float]:
        """Set `key` to `value` for `ttl` if absent or equal (one Lua step); return the holder."""
        holder, left_ms = await self._claim(
            keys=[self._prefix + key], args=[value, max(1, int(ttl * 1000))]
        )
        return _text(holder) or "", max(0.0, int(left_ms) / 1000)

    async def release(self, key: str, value: str) -> bool:
        """Delete `key` only if it holds `value` (one Lua step)."""
        return bool(await self._release(keys=[self._prefix + key], args=[value]))


def _ms(ttl: float | None) -> int | None:
    return None if ttl is None else max(1, int(ttl * 1000))


def _text(value: object) -> str | None:
    if value is None:
        return None
    return value.decode() if isinstance(value, bytes) else str(value)
