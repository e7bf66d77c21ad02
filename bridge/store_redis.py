"""The bridge's shared state store: Redis, for several bridge instances.

`RedisStore` implements `bridge.store.StateStore` with one Redis command or
Lua script a method, so each step is atomic across instances. Its own module
so that a process on the in-process bus never imports the Redis client
(`bridge.backends` imports this one only when `event_bus = "redis"`).
"""

from __future__ import annotations

from redis.asyncio import Redis

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
