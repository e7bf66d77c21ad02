"""Send relayed lines to one Discord channel in coalesced, ordered bursts.

One `ChannelPoster` per channel owns an unbounded-in-order queue and a single
worker task: it waits for a line, lets a burst gather for a short window,
coalesces it and sends the posts one by one. A failed send is retried with
backoff (discord.py already waits out 429s), so a line is never dropped for a
passing error; only a permanent refusal (403/404: no permission, channel gone)
is logged and skipped.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.errors import FumbleBotError
from bot.relay.coalesce import Line, Post, coalesce

log = logging.getLogger(__name__)

Send = Callable[[Post], Awaitable[None]]


class PermanentSendError(FumbleBotError):
    """Discord will never accept this post here (no permission, channel gone)."""


class ChannelPoster:
    """Relay lines to one channel through `send`, coalescing bursts."""

    def __init__(
        self,
        send: Send,
        *,
        window: float = 0.4,
        retry_delay: float = 1.0,
        max_retry_delay: float = 30.0,
    ) -> None:
        self._send = send
        self._window = window
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._queue: asyncio.Queue[Line] = asyncio.Queue()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()

    def put(self, line: Line) -> None:
        """Queue a line; the worker starts on first use."""
        self._idle.clear()
        self._queue.put_nowait(line)
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(), name="relay-poster")

    async def drained(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued is sent; return False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def aclose(self) -> None:
        """Stop the worker; unsent lines are discarded with a warning."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if not self._queue.empty():
            log.warning("relay stopped with %d lines unsent", self._queue.qsize())

    async def _run(self) -> None:
        while True:
            first = await self._queue.get()
            await asyncio.sleep(self._window)  # let the rest of a burst arrive
            burst = [first]
            while not self._queue.empty():
                burst.append(self._queue.get_nowait())
            for post in coalesce(burst):
                await self._deliver(post)
            if self._queue.empty():
                self._idle.set()

    async def _deliver(self, post: Post) -> None:
        delay = self._retry_delay
        while True:
            try:
                await self._send(post)
                return
            except PermanentSendError as exc:
                log.error("relay post refused for good, skipped: %s", exc)
                return
            except Exception:
                log.warning("relay post failed; retrying in %.1f s", delay, exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay)
