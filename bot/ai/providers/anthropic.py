"""The Anthropic Messages adapter."""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Sequence

import anthropic
import httpx2
from anthropic.types import AssistantMessageParam, MessageParam, UserMessageParam

from bot.ai.errors import AIProviderError
from bot.ai.providers.base import (
    ChatMessage,
    Completion,
    Deadline,
    StreamChunk,
    TextDelta,
    Usage,
    clamp_retries,
    translate_error,
)

log = logging.getLogger(__name__)


def split_system(messages: Sequence[ChatMessage]) -> tuple[str, list[MessageParam]]:
    """Return the system prompt (a top-level field here) and the other messages."""
    system = "\n\n".join(m.content for m in messages if m.role == "system")
    turns: list[MessageParam] = []
    for message in messages:
        if message.role == "user":
            turns.append(UserMessageParam(role="user", content=message.content))
        elif message.role == "assistant":
            turns.append(AssistantMessageParam(role="assistant", content=message.content))
    return system, turns


class AnthropicProvider:
    """Chat through `anthropic.AsyncAnthropic`, with bounded retries and a deadline."""

    name = "anthropic"

    def __init__(
        self,
        client: anthropic.AsyncAnthropic,
        *,
        max_retries: int = 2,
        timeout: float = 30.0,
        deadline: float = 120.0,
    ) -> None:
        retries = clamp_retries(max_retries)
        self._client = client.with_options(max_retries=retries, timeout=timeout)
        self._attempts = retries + 1
        self._deadline = deadline

    async def stream(
        self, messages: Sequence[ChatMessage], *, model: str, max_tokens: int
    ) -> AsyncIterator[StreamChunk]:
        """Yield the answer as text deltas, then its usage."""
        deadline = Deadline(self._deadline)
        system, turns = split_system(messages)
        prompt_tokens = completion_tokens = 0
        started = False
        try:
            response = await deadline.wait(
                self._client.messages.create(
                    model=model,
                    max_tokens=max_tokens,
                    system=system or anthropic.omit,
                    messages=turns,
                    stream=True,
                )
            )
            started = True
            async with response:
                async for event in deadline.iterate(aiter(response)):
                    if event.type == "message_start":
                        prompt_tokens = event.message.usage.input_tokens
                    elif event.type == "content_block_delta" and event.delta.type == "text_delta":
                        yield TextDelta(event.delta.text)
                    elif event.type == "message_delta":
                        # `output_tokens` here is cumulative, not an increment.
                        completion_tokens = event.usage.output_tokens
        except (anthropic.APIError, httpx2.HTTPError, TimeoutError) as exc:
            raise self._translate(exc, midway=started) from exc
        yield Usage(prompt_tokens, completion_tokens)

    async def complete(
        self, messages: Sequence[ChatMessage], *, model: str, max_tokens: int
    ) -> Completion:
        """Return the whole answer and its usage."""
        deadline = Deadline(self._deadline)
        system, turns = split_system(messages)
        try:
            message = await deadline.wait(
                self._client.messages.create(
                    model=model,
                    max_tokens=max_tokens,
                    system=system or anthropic.omit,
                    messages=turns,
                )
            )
        except (anthropic.APIError, httpx2.HTTPError, TimeoutError) as exc:
            raise self._translate(exc) from exc
        text = "".join(block.text for block in message.content if block.type == "text")
        usage = Usage(message.usage.input_tokens, message.usage.output_tokens)
        return Completion(text, usage)

    async def aclose(self) -> None:
        """Close the SDK client's connections."""
        await self._client.close()

    def _translate(self, exc: Exception, *, midway: bool = False) -> AIProviderError:
        log.warning("anthropic call failed: %s", type(exc).__name__)
        return translate_error(
            self.name,
            exc,
            attempts=self._attempts,
            midway=midway,
            status_error=anthropic.APIStatusError,
            timeouts=(anthropic.APITimeoutError, httpx2.TimeoutException, TimeoutError),
        )
