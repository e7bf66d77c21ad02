"""Relaying a stream into pages: paced edits, new messages for new pages, failures midway."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot.ai.errors import AIProviderError
from bot.ai.pages import stream_pages
from bot.ai.streaming import StreamPacer
from tests.bot.ai.conftest import FakeClock


class Chat:
    """A page sink that keeps messages the way a channel would, and every call."""

    def __init__(self) -> None:
        self.messages: list[str] = []
        self.calls: list[tuple[str, int]] = []

    async def show(self, index: int, content: str) -> None:
        assert len(content) <= 2000
        if index < len(self.messages):
            self.calls.append(("edit", index))
            self.messages[index] = content
        else:
            assert index == len(self.messages)
            self.calls.append(("send", index))
            self.messages.append(content)


async def deltas(clock: FakeClock, pieces: list[str], step: float) -> AsyncIterator[str]:
    for piece in pieces:
        clock.advance(step)
        yield piece


async def test_a_stream_is_shown_with_paced_edits() -> None:
    clock = FakeClock(0)
    chat = Chat()
    pieces = ["word "] * 40  # 4 seconds of text at 0.1 s per delta
    result = await stream_pages(deltas(clock, pieces, 0.1), chat, pacer=StreamPacer(clock=clock))
    assert chat.messages == ["word " * 39 + "word"]
    assert result.pages == tuple(chat.messages)
    assert result.error is None
    assert chat.calls[0] == ("send", 0)
    assert 4 <= len(chat.calls) <= 6  # about one edit per second, plus the final one


async def test_a_long_stream_goes_on_in_new_messages() -> None:
    clock = FakeClock(0)
    chat = Chat()
    pieces = ["A sentence that goes on. "] * 200
    await stream_pages(deltas(clock, pieces, 0.05), chat, pacer=StreamPacer(clock=clock))
    assert len(chat.messages) == 3
    assert "".join(chat.messages).count("goes on.") == 200
    assert sum(1 for kind, _ in chat.calls if kind == "send") == 3


async def test_a_failure_midway_keeps_the_text_and_says_why() -> None:
    clock = FakeClock(0)
    chat = Chat()

    async def failing() -> AsyncIterator[str]:
        yield "Mira is "
        raise AIProviderError.interrupted("openai")

    result = await stream_pages(failing(), chat, pacer=StreamPacer(clock=clock))
    assert isinstance(result.error, AIProviderError)
    [message] = chat.messages
    assert message.startswith("Mira is \n\n*(The answer was cut short: The AI provider (openai)")


async def test_a_failure_before_any_text_is_raised_and_shows_nothing() -> None:
    chat = Chat()

    async def failing() -> AsyncIterator[str]:
        nothing: tuple[str, ...] = ()
        for piece in nothing:  # an async generator that fails before its first item
            yield piece
        raise AIProviderError.timed_out("anthropic", 3)

    # The caller tells the user, and decides who sees it (the asker alone, on Discord).
    with pytest.raises(AIProviderError, match="anthropic"):
        await stream_pages(failing(), chat, pacer=StreamPacer(clock=FakeClock(0)))
    assert chat.messages == []
