"""Stream an answer into a chat's messages through a page sink, paced and paged.

The `/ask` cog implements `PageSink.show` with Discord calls (edit message
`index` if it exists, else send a new one) and calls `stream_pages`; everything else
(pacing, paging, a provider failing midway) is handled here, away from discord.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterable, Sequence
from dataclasses import dataclass
from typing import Protocol

from bot.ai.errors import AIError
from bot.ai.streaming import Render, StreamPacer, changed_pages

log = logging.getLogger(__name__)


class PageSink(Protocol):
    """Where pages go: message `index` is created on first show, edited after."""

    async def show(self, index: int, content: str) -> None:
        """Create or replace the message at `index` with `content`."""
        ...


@dataclass(frozen=True, slots=True)
class PagedAnswer:
    """What the pages showed in the end, and the error that cut it short, if any."""

    pages: tuple[str, ...]
    error: AIError | None = None


async def _apply(sink: PageSink, shown: Sequence[str], render: Render) -> tuple[str, ...]:
    for index in changed_pages(shown, render.pages):
        await sink.show(index, render.pages[index])
    return render.pages


def _cut_short(error: AIError) -> str:
    """Return what to append to the partial text to say why it stops."""
    return f"\n\n*(The answer was cut short: {error})*"


async def stream_pages(
    deltas: AsyncIterable[str], sink: PageSink, *, pacer: StreamPacer
) -> PagedAnswer:
    """Show deltas as they stream, at the pacer's pace; end with the full, paged text.

    A failure before any text is raised: there is no answer to keep, and the
    caller decides who sees the error (on Discord, the asker alone).
    """
    shown: tuple[str, ...] = ()
    try:
        async for delta in deltas:
            render = pacer.feed(delta)
            if render is not None:
                shown = await _apply(sink, shown, render)
    except AIError as error:
        if not pacer.text.strip():
            raise
        # Keep what the user already saw, and say why it stops there.
        pacer.feed(_cut_short(error))
        return PagedAnswer(await _apply(sink, shown, pacer.finish()), error)
    return PagedAnswer(await _apply(sink, shown, pacer.finish()))
