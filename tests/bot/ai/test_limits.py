"""Rate limits and daily token budgets per user and per guild, with the reset time."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from bot.ai.errors import AIBudgetExceededError, AIRateLimitedError
from bot.ai.limits import Quota, UsageLimits
from core_client import CoreClientError
from tests.bot.ai.conftest import FakeClock

NOON = datetime(2026, 11, 22, 12, 0, tzinfo=UTC).timestamp()


def limits(clock: FakeClock, user: Quota, guild: Quota | None = None) -> UsageLimits:
    return UsageLimits(user=user, guild=guild or Quota(0, 0), clock=clock)


def test_the_user_rate_limit_names_when_it_resets() -> None:
    clock = FakeClock(NOON)
    limiter = limits(clock, Quota(requests_per_minute=2, daily_tokens=0))
    limiter.admit("u1", "g1")
    clock.advance(10)
    limiter.admit("u1", "g1")
    clock.advance(5)
    with pytest.raises(AIRateLimitedError) as caught:
        limiter.admit("u1", "g1")
    assert caught.value.scope == "user"
    assert caught.value.resets_at == NOON + 60
    assert str(caught.value) == (
        "The AI request limit (per minute) for this user is used up (2); "
        "it resets in 45 s (12:01 UTC)."
    )
    limiter.admit("u2", "g1")  # another user is not affected
    clock.advance(45)
    limiter.admit("u1", "g1")


def test_a_refused_request_is_not_counted() -> None:
    clock = FakeClock(NOON)
    limiter = limits(clock, Quota(1, 0))
    limiter.admit("u1", None)
    for _ in range(3):
        with pytest.raises(AIRateLimitedError):
            limiter.admit("u1", None)
    clock.advance(60)
    limiter.admit("u1", None)


def test_the_guild_rate_limit_applies_across_users() -> None:
    clock = FakeClock(NOON)
    limiter = limits(clock, Quota(0, 0), Quota(requests_per_minute=2, daily_tokens=0))
    limiter.admit("u1", "g1")
    limiter.admit("u2", "g1")
    with pytest.raises(AIRateLimitedError, match="for this server") as caught:
        limiter.admit("u3", "g1")
    assert caught.value.scope == "server"
    limiter.admit("u3", "g2")
    limiter.admit("u3", None)  # direct messages have no guild limit


def test_the_daily_budget_resets_at_midnight_utc() -> None:
    clock = FakeClock(NOON)
    limiter = limits(clock, Quota(0, daily_tokens=1000))
    limiter.admit("u1", "g1")
    limiter.charge("u1", "g1", 600)
    limiter.admit("u1", "g1")
    limiter.charge("u1", "g1", 500)
    assert limiter.spent_today("u1", "g1") == (1100, 1100)
    with pytest.raises(AIBudgetExceededError) as caught:
        limiter.admit("u1", "g1")
    midnight = datetime(2026, 11, 23, tzinfo=UTC)
    assert caught.value.resets_at_datetime == midnight
    assert str(caught.value) == (
        "The AI daily token budget for this user is used up (1000); "
        "it resets in 12 h 0 min (00:00 UTC)."
    )
    clock.now = midnight.timestamp()
    limiter.admit("u1", "g1")
    assert limiter.spent_today("u1", "g1") == (0, 0)


def test_the_guild_budget_is_shared_by_its_users() -> None:
    clock = FakeClock(NOON)
    limiter = limits(clock, Quota(0, 0), Quota(0, daily_tokens=100))
    limiter.charge("u1", "g1", 60)
    limiter.charge("u2", "g1", 60)
    with pytest.raises(AIBudgetExceededError, match="for this server"):
        limiter.admit("u3", "g1")


class CoreTotals:
    """A totals source standing in for Core's answer; it counts how often it is asked."""

    def __init__(self, user: int = 0, guild: int = 0, *, down: bool = False) -> None:
        self.answer, self.down, self.asked = (user, guild), down, 0

    async def __call__(self, since: float, user_id: str, guild_id: str | None) -> tuple[int, int]:
        self.asked += 1
        if self.down:
            raise CoreClientError("Core is away")
        assert since == NOON - 12 * 3600  # today, from midnight UTC
        return self.answer


async def test_core_totals_are_fetched_once_per_ttl_and_local_charges_added() -> None:
    clock, core = FakeClock(NOON), CoreTotals(user=400)
    limiter = UsageLimits(user=Quota(0, 500), guild=Quota(0, 0), clock=clock, totals=core)
    await limiter.refresh("u1", "g1")
    limiter.admit("u1", "g1")
    limiter.charge("u1", "g1", 150)  # 400 elsewhere + 150 here
    await limiter.refresh("u1", "g1")  # within the TTL: no second round trip
    assert core.asked == 1
    with pytest.raises(AIBudgetExceededError):
        limiter.admit("u1", "g1")


async def test_when_core_cannot_answer_the_local_count_stands() -> None:
    clock, core = FakeClock(NOON), CoreTotals(down=True)
    limiter = UsageLimits(user=Quota(0, 500), guild=Quota(0, 0), clock=clock, totals=core)
    limiter.charge("u1", None, 600)
    await limiter.refresh("u1", None)
    assert core.asked == 1
    with pytest.raises(AIBudgetExceededError):
        limiter.admit("u1", None)
