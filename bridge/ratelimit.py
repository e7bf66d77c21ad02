"""Per-token rate limits: one token bucket per key, in process memory.

Each key (a token id) may make `burst` requests at once and `rate` per second
after that. `take` raises `RateLimitedError` with the wait until the next
request would fit. With several bridge instances each enforces its own
buckets, so the effective limit is per instance; that bounds abuse without a
Redis round trip on every request.
"""

from __future__ import annotations

import time
from collections import OrderedDict

from bridge.errors import RateLimitedError

MAX_KEYS = 100_000


class RateLimiter:
    """Token buckets keyed by caller, refilled continuously."""

    def __init__(self, *, rate: float, burst: int) -> None:
        self._rate = rate
        self._burst = float(burst)
        # key -> (tokens left, when last refilled); least recently used first.
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()

    def take(self, key: str, cost: float = 1.0) -> None:
        """Spend `cost` from a key's bucket, or raise with the wait needed."""
        now = time.monotonic()
        tokens, then = self._buckets.pop(key, (self._burst, now))
        tokens = min(self._burst, tokens + (now - then) * self._rate)
        if tokens < cost:
            self._store(key, tokens, now)
            raise RateLimitedError((cost - tokens) / self._rate)
        self._store(key, tokens - cost, now)

    def _store(self, key: str, tokens: float, now: float) -> None:
        self._buckets[key] = (tokens, now)
        if len(self._buckets) > MAX_KEYS:
            self._buckets.popitem(last=False)  # forgetting a bucket only refills it
