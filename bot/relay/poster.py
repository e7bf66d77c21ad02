"""Send relayed lines to one Discord channel in coalesced, ordered bursts.

One `ChannelPoster` per channel has a single worker task. Lines are first
written to the relay's queue file (`PendingLines`), so a restart loses
none; the worker lets a burst gather for a short window, coalesces what is
waiting and sends the posts one by one, forgetting each line only once
Discord took it.

Nothing is dropped for a passing error. A 429 is never final: discord.py
gives up after five tries, and the worker then waits the `retry_after`
Discord asked for and sends the same post again, so order holds. Other
failures (5xx, network) are retried with backoff. Only a permanent refusal
(channel gone, no permission, webhook gone for good) skips a post, and the
first one in a row is reported through `on_refused`, so the GM hears of it
once instead of lines vanishing in silence.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from bot.errors import FumbleBotError
from bot.relay.coalesce import Line, Post, coalesce
from bot.relay.pending import PendingLines

log = logging.getLogger(__name__)

Send = Callable[[Post], Awaitable[None]]
Refused = Callable[["PermanentSendError"], Awaitable[None]]
Depth = Callable[[int], None]  # told how many lines the queue file holds, after each change

BATCH = 200  # lines read from the queue file per round


class PermanentSendError(FumbleBotError):
    """Discord will never accept this post here (no permission, channel gone)."""


class RateLimitedSendError(FumbleBotError):
    """Discord still answers 429 after discord.py's own retries."""

    def __init__(self, retry_after: float) -> None:
        super().__init__(f"rate limited by Discord; retry after {retry_after:.1f} s")
        self.retry_after = retry_after


async def _nobody_told(exc: PermanentSendError) -> None:
    return None


class ChannelPoster:
    """Relay lines to one channel through `send`, coalescing bursts."""

    def __init__(
        self,
        channel_id: int,
        pending: PendingLines,
        send: Send,
        *,
        on_refused: Refused = _nobody_told,
        on_depth: Depth | None = None,
        window: float = 0.4,
        retry_delay: float = 1.0,
        max_retry_delay: float = 30.0,
    ) -> None:
        self._channel_id = channel_id
        self._pending = pending
        self._send = send
        self._on_refused = on_refused
        self._on_depth = on_depth
        self._window = window
        self._retry_delay = retry_delay
        self._max_retry_delay = max_retry_delay
        self._wake = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._idle = asyncio.Event()
        self._idle.set()
        self._told = False  # the refusal in progress has been reported

    async def put(self, line: Line) -> None:
        """Keep a line durably and have the worker post it."""
        await self._pending.add(self._channel_id, line)
        await self._tell_depth()
        self.wake(gather=True)

    def wake(self, *, gather: bool = False) -> None:
        """Have the worker post what waits; `gather` lets a burst arrive first."""
        self._idle.clear()
        self._wake.set()
        if self._task is None or self._task.done():
            self._task = asyncio.create_task(self._run(gather), name="relay-poster")

    async def drained(self, timeout: float = 10.0) -> bool:
        """Wait until everything queued is sent; return False on timeout."""
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def aclose(self) -> None:
        """Stop the worker; unsent lines stay in the queue file for the next start."""
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        left = await self._pending.count(self._channel_id)
        if left:
            log.info("relay stopped with %d lines kept for the next start", left)

    async def _run(self, gather: bool) -> None:
        while True:
            self._wake.clear()
            if gather:
                await asyncio.sleep(self._window)  # let the rest of a burst arrive
            rows = await self._pending.oldest(self._channel_id, BATCH)
            if not rows:
                if not self._wake.is_set():  # a line put meanwhile is not sent yet
                    self._idle.set()
                await self._wake.wait()
                gather = True
                continue
            forgotten = 0
            for post in coalesce([row.line for row in rows]):
                await self._deliver(post)
                if post.done > forgotten:
                    await self._pending.remove(self._channel_id, rows[post.done - 1].seq)
                    await self._tell_depth()
                    forgotten = post.done
            gather = False

    async def _tell_depth(self) -> None:
        if self._on_depth is not None:
            self._on_depth(await self._pending.count())

    async def _deliver(self, post: Post) -> None:
        delay = self._retry_delay
        while True:
            try:
                await self._send(post)
                self._told = False
                return
            except RateLimitedSendError as exc:
                log.warning("relay post rate limited; retrying in %.1f s", exc.retry_after)
                await asyncio.sleep(max(exc.retry_after, 0.05))
            except PermanentSendError as exc:
                await self._refused(exc)
                return
            except Exception:
                log.warning("relay post failed; retrying in %.1f s", delay, exc_info=True)
                await asyncio.sleep(delay)
                delay = min(delay * 2, self._max_retry_delay)

    async def _refused(self, exc: PermanentSendError) -> None:
        log.error("relay post to channel %s refused for good, skipped: %s", self._channel_id, exc)
        if self._told:
            return
        self._told = True
        try:
            await self._on_refused(exc)
        except Exception:
            log.exception("could not report a refused relay post")
