"""The OpenAI Chat Completions adapter (also any OpenAI-compatible `base_url`)."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence
from typing import Literal

import httpx2
import openai
from openai.types.chat import (
    ChatCompletionAssistantMessageParam,
    ChatCompletionMessageParam,
    ChatCompletionSystemMessageParam,
    ChatCompletionUserMessageParam,
)

from bot.ai.errors import AIProviderError
from bot.ai.providers.base import (
    ChatMessage,
    Completion,
    Deadline,
    StreamChunk,
    TextDelta,
    Usage,
    clamp_retries,
    estimate_usage,
    translate_error,
)

log = logging.getLogger(__name__)

# OpenAI's own API wants `max_completion_tokens` (reasoning models refuse
# `max_tokens`); local OpenAI-compatible servers mostly know only `max_tokens`.
TokenParam = Literal["max_tokens", "max_completion_tokens"]


def to_openai(messages: Sequence[ChatMessage]) -> list[ChatCompletionMessageParam]:
    """Return the SDK's message params for our messages."""
    params: list[ChatCompletionMessageParam] = []
    for message in messages:
        if message.role == "system":
            params.append(ChatCompletionSystemMessageParam(role="system", content=message.content))
        elif message.role == "user":
            params.append(ChatCompletionUserMessageParam(role="user", content=message.content))
        else:
            params.append(
                ChatCompletionAssistantMessageParam(role="assistant", content=message.content)
            )
    return params


class OpenAIProvider:
    """Chat through `openai.AsyncOpenAI`, with bounded retries and a deadline."""

    name = "openai"

    def __init__(
        self,
        client: openai.AsyncOpenAI,
        *,
        max_retries: int = 2,
        timeout: float = 30.0,
        deadline: float = 120.0,
        token_param: TokenParam = "max_completion_tokens",
    ) -> None:
        retries = clamp_retries(max_retries)
        self._client = client.with_options(max_retries=retries, timeout=timeout)
        self._attempts = retries + 1
        self._deadline = deadline
        self._token_param = token_param

    def _limit(self, param: TokenParam, max_tokens: int) -> int | openai.Omit:
        return max_tokens if param == self._token_param else openai.omit

    async def stream(
        self, messages: Sequence[ChatMessage], *, model: str, max_tokens: int
    ) -> AsyncIterator[StreamChunk]:
        """Yield the answer as text deltas, then its usage."""
        deadline = Deadline(self._deadline)
        parts: list[str] = []
        usage: Usage | None = None
        started = False
        try:
            response = await deadline.wait(
                self._client.chat.completions.create(
                    model=model,
                    messages=to_openai(messages),
                    stream=True,
                    stream_options={"include_usage": True},
                    max_tokens=self._limit("max_tokens", max_tokens),
                    max_completion_tokens=self._limit("max_completion_tokens", max_tokens),
                )
            )
            started = True
            async with response:
                async for chunk in deadline.iterate(aiter(response)):
                    if chunk.usage is not None:
                        usage = Usage(chunk.usage.prompt_tokens, chunk.usage.completion_tokens)
                    for choice in chunk.choices:
                        if choice.delta.content:
                            parts.append(choice.delta.content)
                            yield TextDelta(choice.delta.content)
        except (openai.APIError, httpx2.HTTPError, TimeoutError) as exc:
            raise self._translate(exc, midway=started) from exc
        # Some compatible servers ignore `include_usage`; budgets still need a number.
        yield usage or estimate_usage(messages, "".join(parts))

    async def complete(
        self, messages: Sequence[ChatMessage], *, model: str, max_tokens: int
    ) -> Completion:
        """Return the whole answer and its usage."""
        deadline = Deadline(self._deadline)
        try:
            response = await deadline.wait(
                self._client.chat.completions.create(
                    model=model,
                    messages=to_openai(messages),
                    max_tokens=self._limit("max_tokens", max_tokens),
                    max_completion_tokens=self._limit("max_completion_tokens", max_tokens),
                )
            )
        except (openai.APIError, httpx2.HTTPError, TimeoutError) as exc:
            raise self._translate(exc) from exc
        text = "".join(choice.message.content or "" for choice in response.choices[:1])
        if response.usage is None:
            return Completion(text, estimate_usage(messages, text))
        usage = Usage(response.usage.prompt_tokens, response.usage.completion_tokens)
        return Completion(text, usage)

    async def aclose(self) -> None:
        """Close the SDK client's connections."""
        await self._client.close()

    def _translate(self, exc: Exception, *, midway: bool = False) -> AIProviderError:
        log.warning("openai call failed: %s", type(exc).__name__)
        return translate_error(
            self.name,
            exc,
            attempts=self._attempts,
            midway=midway,
            status_error=openai.APIStatusError,
            timeouts=(openai.APITimeoutError, httpx2.TimeoutException, TimeoutError),
        )
