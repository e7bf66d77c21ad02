"""What every chat provider speaks: messages in; text deltas and usage out.

Retries are bounded in two layers: the SDK retries 408/409/429/5xx, timeouts and
connection errors up to `max_retries` (capped at `MAX_RETRIES` whatever the
config says), and the adapter enforces an overall `deadline` for the whole call,
so a long `retry-after` or a trickling stream cannot keep a user waiting forever.
"""

from __future__ import annotations

import asyncio
import math
from collections.abc import AsyncIterator, Awaitable, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol, TypeVar

from bot.ai.errors import AIProviderError

T = TypeVar("T")

MAX_RETRIES = 5
Role = Literal["system", "user", "assistant"]


@dataclass(frozen=True, slots=True)
class ChatMessage:
    """One message of a prompt."""

    role: Role
    content: str


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the answer, in order."""

    text: str


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens one call used; `estimated` when the provider did not say."""

    prompt_tokens: int
    completion_tokens: int
    estimated: bool = False

    @property
    def total_tokens(self) -> int:
        """Return prompt plus completion tokens."""
        return self.prompt_tokens + self.completion_tokens


@dataclass(frozen=True, slots=True)
class Completion:
    """A whole, non-streamed answer."""

    text: str
    usage: Usage


StreamChunk = TextDelta | Usage


class ChatProvider(Protocol):
    """A chat model behind an SDK; raises only `AIProviderError`."""

    name: str

    def stream(
        self, messages: Sequence[ChatMessage], *, model: str, max_tokens: int
    ) -> AsyncIterator[StreamChunk]:
        """Yield the answer as text deltas, then exactly one `Usage`."""
        ...

    async def complete(
        self, messages: Sequence[ChatMessage], *, model: str, max_tokens: int
    ) -> Completion:
        """Return the whole answer at once."""
        ...

    async def aclose(self) -> None:
        """Close the SDK client's connections."""
        ...


def estimate_tokens(text: str) -> int:
    """Estimate tokens as characters / 4, the usual rule of thumb for English."""
    return math.ceil(len(text) / 4)


def estimate_usage(messages: Sequence[ChatMessage], answer: str) -> Usage:
    """Return an estimated usage for a provider that reported none."""
    prompt = sum(estimate_tokens(message.content) for message in messages)
    return Usage(prompt, estimate_tokens(answer), estimated=True)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Return the provider's `retry-after-ms`/`retry-after` hint in seconds."""
    for name, divisor in (("retry-after-ms", 1000.0), ("retry-after", 1.0)):
        try:
            value = float(headers.get(name, ""))
        except ValueError:
            continue
        if math.isfinite(value) and value >= 0:
            return value / divisor
    return None


class Deadline:
    """An overall time limit for one call, checked at every await on the provider."""

    def __init__(self, seconds: float) -> None:
        self._at = asyncio.get_running_loop().time() + seconds

    async def wait(self, awaitable: Awaitable[T]) -> T:
        """Await within the deadline; raise `TimeoutError` past it."""
        async with asyncio.timeout_at(self._at):
            return await awaitable

    async def iterate(self, iterator: AsyncIterator[T]) -> AsyncIterator[T]:
        """Yield from `iterator`, each item within the deadline."""
        while True:
            # The timeout wraps only the fetch, never our consumer's code at `yield`.
            async with asyncio.timeout_at(self._at):
                try:
                    item = await anext(iterator)
                except StopAsyncIteration:
                    return
            yield item


def clamp_retries(max_retries: int) -> int:
    """Return the SDK retry count, bounded to 0..MAX_RETRIES."""
    return max(0, min(max_retries, MAX_RETRIES))


def translate_error(
    provider: str,
    exc: Exception,
    *,
    attempts: int,
    midway: bool,
    status_error: type[Exception],
    timeouts: tuple[type[BaseException], ...],
) -> AIProviderError:
    """Turn an SDK's failure into the user-facing `AIProviderError`."""
    if midway and not isinstance(exc, status_error):
        return AIProviderError.interrupted(provider)
    if isinstance(exc, status_error):
        response = exc.response  # type: ignore[attr-defined]
        status = int(exc.status_code)  # type: ignore[attr-defined]
        return AIProviderError.for_status(provider, status, attempts, retry_after(response.headers))
    if isinstance(exc, timeouts):
        return AIProviderError.timed_out(provider, attempts)
    return AIProviderError.unreachable(provider, attempts)
