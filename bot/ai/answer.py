"""A finished answer, and the stream that produces one."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass

from bot.ai.errors import AIError
from bot.ai.providers.base import StreamChunk, TextDelta, Usage


@dataclass(frozen=True, slots=True)
class Answer:
    """A finished answer."""

    text: str
    usage: Usage
    conversation_id: str


class AnswerStream:
    """Iterate once for the answer's text deltas; then `answer` holds the result."""

    def __init__(
        self, chunks: AsyncIterator[StreamChunk], finish: Callable[[str, Usage], Awaitable[Answer]]
    ) -> None:
        self._chunks = chunks
        self._finish = finish
        self.answer: Answer | None = None

    def __aiter__(self) -> AsyncIterator[str]:
        """Return the text deltas; iterate once."""
        return self._deltas()

    async def _deltas(self) -> AsyncIterator[str]:
        parts: list[str] = []
        usage: Usage | None = None
        async for chunk in self._chunks:
            if isinstance(chunk, TextDelta):
                parts.append(chunk.text)
                yield chunk.text
            else:
                usage = chunk
        if usage is not None:
            self.answer = await self._finish("".join(parts), usage)

    async def collect(self) -> Answer:
        """Drain the stream and return the answer."""
        async for _ in self:
            pass
        if self.answer is None:
            raise AIError("The AI provider ended the answer without reporting its usage.")
        return self.answer
