"""The AI service's errors: every message is fit to show the user as is.

Provider adapters translate SDK exceptions into these at the boundary (with
`raise ... from`), so nothing above `bot.ai.providers` knows which SDK ran.
"""

from __future__ import annotations

import math
from datetime import UTC, datetime

from bot.errors import FumbleBotError

CONFIGURE_HINT = (
    "Set `[ai] provider` to `openai` or `anthropic` in config.toml "
    "(or FUMBLEBOT_AI_PROVIDER) and put the key in the environment as "
    "OPENAI_API_KEY or ANTHROPIC_API_KEY; for a local OpenAI-compatible "
    "server also set `[ai] base_url`."
)


class AIError(FumbleBotError):
    """Base of every error the AI service raises on purpose."""


class AIUnavailableError(AIError):
    """No provider is configured, or its key is missing."""

    def __init__(self, reason: str = "The AI assistant is not configured.") -> None:
        self.reason = reason
        super().__init__(f"{reason} {CONFIGURE_HINT}")


class AIContextError(AIError):
    """Campaign data handed to the AI does not belong to the asking campaign."""


def describe_reset(resets_at: float, now: float) -> str:
    """Return "in 42 s (03:12 UTC)" for a reset time, in epoch seconds."""
    wait = max(0, math.ceil(resets_at - now))
    when = datetime.fromtimestamp(resets_at, UTC).strftime("%H:%M UTC")
    if wait >= 3600:
        amount = f"{wait // 3600} h {wait % 3600 // 60} min"
    elif wait >= 60:
        amount = f"{wait // 60} min {wait % 60} s"
    else:
        amount = f"{wait} s"
    return f"in {amount} ({when})"


class _LimitError(AIError):
    """A limit of ours was reached; `resets_at` is epoch seconds."""

    what = "limit"

    def __init__(self, scope: str, limit: int, resets_at: float, now: float) -> None:
        self.scope = scope
        self.limit = limit
        self.resets_at = resets_at
        super().__init__(
            f"The AI {self.what} for this {scope} is used up ({limit}); "
            f"it resets {describe_reset(resets_at, now)}."
        )

    @property
    def resets_at_datetime(self) -> datetime:
        """Return the reset time as an aware UTC datetime."""
        return datetime.fromtimestamp(self.resets_at, UTC)


class AIRateLimitedError(_LimitError):
    """Too many requests per minute from a user or a guild."""

    what = "request limit (per minute)"


class AIBudgetExceededError(_LimitError):
    """A user's or guild's daily token budget is spent."""

    what = "daily token budget"


class AIProviderError(AIError):
    """The provider failed after bounded retries; the message says what to do."""

    def __init__(
        self,
        message: str,
        *,
        provider: str,
        status: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.provider = provider
        self.status = status
        self.retry_after = retry_after
        super().__init__(message)

    @classmethod
    def for_status(
        cls, provider: str, status: int, attempts: int, retry_after: float | None = None
    ) -> AIProviderError:
        """Return the error for an HTTP status the provider kept answering."""
        if status == 429:
            wait = f" in {math.ceil(retry_after)} s" if retry_after else " in a minute"
            text = f"The AI provider ({provider}) is rate limiting us; try again{wait}."
        elif status in (401, 403):
            text = f"The AI provider ({provider}) refused our API key; ask an admin to check it."
        elif status >= 500:
            text = (
                f"The AI provider ({provider}) is failing (HTTP {status}) after "
                f"{attempts} attempt(s); try again in a few minutes."
            )
        else:
            text = f"The AI provider ({provider}) rejected the request (HTTP {status})."
        return cls(text, provider=provider, status=status, retry_after=retry_after)

    @classmethod
    def timed_out(cls, provider: str, attempts: int) -> AIProviderError:
        """Return the error for a provider that did not answer in time."""
        return cls(
            f"The AI provider ({provider}) did not answer in time after {attempts} "
            "attempt(s); try again in a few minutes.",
            provider=provider,
        )

    @classmethod
    def interrupted(cls, provider: str) -> AIProviderError:
        """Return the error for an answer that stopped coming midway."""
        return cls(
            f"The AI provider ({provider}) stopped answering midway; try again in a few minutes.",
            provider=provider,
        )

    @classmethod
    def unreachable(cls, provider: str, attempts: int) -> AIProviderError:
        """Return the error for a provider that could not be reached."""
        return cls(
            f"Could not reach the AI provider ({provider}) after {attempts} attempt(s); "
            "try again in a few minutes.",
            provider=provider,
        )
