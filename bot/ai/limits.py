"""Rate limits and daily token budgets, per user and per guild.

Requests are counted in a sliding 60-second window; tokens are summed per UTC
day and reset at midnight UTC. A limit of 0 means unlimited. Budgets are
checked before a call and charged after it, so one answer may overshoot a
budget by at most `max_tokens` plus its prompt; the next request is refused.
The clock is wall time in epoch seconds (injectable), because the refusal
names the reset time.

Given Core's usage totals (`core_totals`), today's tokens are Core's count,
refreshed at most every `TOTALS_TTL` seconds per user and guild, plus what
this process charged since: so a restart does not reset a budget and every
shard sees the others' spending. Should Core not answer, the in-process
count stands: a budget is never lifted because Core is away.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections import deque
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING

from bot.ai.errors import AIBudgetExceededError, AIRateLimitedError
from core_client.errors import CoreClientError

if TYPE_CHECKING:  # the client pulls in the HTTP stack, which light CLI commands skip
    from core_client import CoreClient

log = logging.getLogger(__name__)

Clock = Callable[[], float]
# (since, user id, guild id) -> the user's and the guild's tokens since then
Totals = Callable[[float, str, str | None], Awaitable[tuple[int, int]]]
TOTALS_TTL = 30.0  # seconds a fetched total is trusted; charges in between are added locally
TOTALS_BUDGET = 1.0  # seconds an /ask may wait on Core for its totals
WINDOW = 60.0
DAY = 86_400.0
MAX_KEYS = 100_000  # past this many tracked users/guilds, idle ones are pruned


@dataclass(frozen=True, slots=True)
class Quota:
    """The limits of one scope ("user" or "server")."""

    requests_per_minute: int
    daily_tokens: int


class _Ledger:
    """Request times and today's tokens per key, for one scope."""

    def __init__(self, scope: str, quota: Quota) -> None:
        self.scope = scope
        self.quota = quota
        self.requests: dict[str, deque[float]] = {}
        self.tokens: dict[str, tuple[int, int]] = {}  # key -> (UTC day number, tokens)
        self.shared: dict[str, tuple[int, int]] = {}  # key -> (day, Core's total + charges since)

    def check(self, key: str, now: float) -> None:
        """Raise if `key` is over budget or over its request rate."""
        day = int(now // DAY)
        spent = self.spent(key, day)
        if self.quota.daily_tokens and spent >= self.quota.daily_tokens:
            raise AIBudgetExceededError(self.scope, self.quota.daily_tokens, (day + 1) * DAY, now)
        window = self._window(key, now)
        if self.quota.requests_per_minute and len(window) >= self.quota.requests_per_minute:
            raise AIRateLimitedError(
                self.scope, self.quota.requests_per_minute, window[0] + WINDOW, now
            )

    def spent(self, key: str, day: int) -> int:
        """Return the tokens `key` used on UTC day `day`."""
        return max(_on(self.tokens, key, day), _on(self.shared, key, day))

    def adopt(self, key: str, day: int, tokens: int) -> None:
        """Take Core's count of `key`'s tokens on `day`, which includes every shard's."""
        self.shared[key] = (day, tokens)

    def _window(self, key: str, now: float) -> deque[float]:
        window = self.requests.setdefault(key, deque())
        while window and window[0] <= now - WINDOW:
            window.popleft()
        return window

    def count(self, key: str, now: float) -> None:
        """Count one request for `key`."""
        self._window(key, now).append(now)
        if len(self.requests) > MAX_KEYS:
            self._prune(now)

    def charge(self, key: str, tokens: int, now: float) -> None:
        """Add `tokens` to `key`'s total for today."""
        day = int(now // DAY)
        self.tokens[key] = (day, _on(self.tokens, key, day) + tokens)
        if key in self.shared:
            self.shared[key] = (day, _on(self.shared, key, day) + tokens)

    def _prune(self, now: float) -> None:
        day = int(now // DAY)
        self.requests = {k: w for k, w in self.requests.items() if w and w[-1] > now - WINDOW}
        self.tokens = {k: v for k, v in self.tokens.items() if v[0] == day}
        self.shared = {k: v for k, v in self.shared.items() if v[0] == day}


def _on(counts: dict[str, tuple[int, int]], key: str, day: int) -> int:
    """Return a count kept as (day, tokens) if it is of `day`, else 0."""
    recorded_day, tokens = counts.get(key, (day, 0))
    return tokens if recorded_day == day else 0


def core_totals(core: CoreClient) -> Totals:
    """Return a totals source asking Core's `GET /ai/usage`."""

    async def totals(since: float, user_id: str, guild_id: str | None) -> tuple[int, int]:
        answer = await core.usage_totals(since, user_discord_id=user_id, guild_id=guild_id)
        return answer["user_tokens"], answer["guild_tokens"]

    return totals


class UsageLimits:
    """Refuse requests over a user's or a guild's rate or daily budget."""

    def __init__(
        self,
        *,
        user: Quota,
        guild: Quota,
        clock: Clock = time.time,
        totals: Totals | None = None,
        ttl: float = TOTALS_TTL,
    ) -> None:
        self._user = _Ledger("user", user)
        self._guild = _Ledger("server", guild)
        self._clock = clock
        self._totals = totals
        self._ttl = ttl
        self._fetched: dict[tuple[str, str | None], float] = {}

    async def refresh(self, user_id: str, guild_id: str | None) -> None:
        """Take today's totals from Core, unless fetched within the TTL; keep ours on failure."""
        if self._totals is None or not (
            self._user.quota.daily_tokens or self._guild.quota.daily_tokens
        ):
            return
        now = self._clock()
        pair = (user_id, guild_id)
        if now - self._fetched.get(pair, -self._ttl) < self._ttl:
            return
        day = int(now // DAY)
        try:
            async with asyncio.timeout(TOTALS_BUDGET):
                user, guild = await self._totals(day * DAY, user_id, guild_id)
        except (CoreClientError, TimeoutError):
            log.warning("AI budgets use this process's counts: Core did not give its totals")
            return
        if len(self._fetched) >= MAX_KEYS:
            self._fetched.clear()
        self._fetched[pair] = now
        self._user.adopt(user_id, day, user)
        if guild_id is not None:
            self._guild.adopt(guild_id, day, guild)

    def admit(self, user_id: str, guild_id: str | None) -> None:
        """Count a request, or raise `AIRateLimitedError`/`AIBudgetExceededError`."""
        now = self._clock()
        self._user.check(user_id, now)
        if guild_id is not None:
            self._guild.check(guild_id, now)
        # Counted only once both checks passed: a refusal costs nothing.
        self._user.count(user_id, now)
        if guild_id is not None:
            self._guild.count(guild_id, now)

    def charge(self, user_id: str, guild_id: str | None, tokens: int) -> None:
        """Add a call's tokens to the user's and the guild's daily totals."""
        now = self._clock()
        self._user.charge(user_id, tokens, now)
        if guild_id is not None:
            self._guild.charge(guild_id, tokens, now)

    def spent_today(self, user_id: str, guild_id: str | None = None) -> tuple[int, int]:
        """Return the tokens the user and the guild used today."""
        day = int(self._clock() // DAY)
        guild = self._guild.spent(guild_id, day) if guild_id is not None else 0
        return self._user.spent(user_id, day), guild
