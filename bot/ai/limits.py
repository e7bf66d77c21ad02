"""Rate limits and daily token budgets, per user and per guild.

Requests are counted in a sliding 60-second window; tokens are summed per UTC
day and reset at midnight UTC. A limit of 0 means unlimited. Budgets are
checked before a call and charged after it, so one answer may overshoot a
budget by at most `max_tokens` plus its prompt; the next request is refused.
The clock is wall time in epoch seconds (injectable), because the refusal
names the reset time.
"""

from __future__ import annotations

import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from bot.ai.errors import AIBudgetExceededError, AIRateLimitedError

Clock = Callable[[], float]
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
        recorded_day, tokens = self.tokens.get(key, (day, 0))
        return tokens if recorded_day == day else 0

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
        self.tokens[key] = (day, self.spent(key, day) + tokens)

    def _prune(self, now: float) -> None:
        day = int(now // DAY)
        self.requests = {k: w for k, w in self.requests.items() if w and w[-1] > now - WINDOW}
        self.tokens = {k: v for k, v in self.tokens.items() if v[0] == day}


class UsageLimits:
    """Refuse requests over a user's or a guild's rate or daily budget."""

    def __init__(self, *, user: Quota, guild: Quota, clock: Clock = time.time) -> None:
        self._user = _Ledger("user", user)
        self._guild = _Ledger("server", guild)
        self._clock = clock

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
