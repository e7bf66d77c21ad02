"""A durable outbox: reports survive Core being down and the sender restarting.

Events are written to a local SQLite file before anything is sent, then a
single drain task delivers them in order, in batches, retrying with capped
exponential backoff and jitter. Core stores each event id once, so a batch
resent after a crash between "delivered" and "deleted here" has no second
effect: delivery is at least once, the effect exactly once.

A delivery Core refuses for good (a 4xx other than 408/425/429) is retried one
event at a time to isolate the culprit, which goes to a dead-letter table with
the reason rather than being dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import TracebackType
from typing import Any

import aiosqlite

from core_client.contract import Event, codec
from core_client.errors import CoreClientError, DeliveryError

log = logging.getLogger(__name__)

Deliver = Callable[[Sequence[Event]], Awaitable[Any]]

SCHEMA = """
CREATE TABLE IF NOT EXISTS outbox (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    body TEXT NOT NULL,
    created_at REAL NOT NULL
);
CREATE TABLE IF NOT EXISTS dead_letter (
    event_id TEXT PRIMARY KEY,
    body TEXT NOT NULL,
    reason TEXT NOT NULL,
    failed_at REAL NOT NULL
);
"""


class OutboxFullError(CoreClientError):
    """The outbox holds its maximum; the event was not accepted."""


class Outbox:
    """Queue events durably and deliver them to Core in the background."""

    def __init__(
        self,
        path: str | Path,
        deliver: Deliver,
        *,
        max_events: int = 100_000,
        batch_size: int = 100,
        base_delay: float = 0.5,
        max_delay: float = 60.0,
        warn_ratio: float = 0.8,
    ) -> None:
        self._path = Path(path)
        self._deliver = deliver
        self._max_events = max_events
        self._batch_size = batch_size
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._warn_at = int(max_events * warn_ratio)
        self._db: aiosqlite.Connection | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._pending = 0
        self._failures = 0
        self._warned = False

    async def __aenter__(self) -> Outbox:
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._db = await aiosqlite.connect(self._path)
        await self._db.executescript("PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;" + SCHEMA)
        async with self._db.execute("SELECT count(*) FROM outbox") as cur:
            row = await cur.fetchone()
        self._pending = int(row[0]) if row else 0
        if self._pending:
            log.info("outbox %s holds %d undelivered events; draining", self._path, self._pending)
        self._task = asyncio.create_task(self._drain_forever(), name="core-outbox")
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if self._task is not None:
            self._task.cancel()
            await asyncio.gather(self._task, return_exceptions=True)
        if self._db is not None:
            await self._db.close()
        self._db = None

    @property
    def pending(self) -> int:
        """Return how many events wait for delivery."""
        return self._pending

    async def put(self, event: Event) -> None:
        """Store an event durably; it will be delivered in the background."""
        db = self._require_db()
        if self._pending >= self._max_events:
            log.error("outbox full (%d events): Core has been unreachable too long", self._pending)
            raise OutboxFullError(f"the outbox holds {self._pending} events, its maximum")
        body = codec.encode(event).decode()
        cur = await db.execute(
            "INSERT OR IGNORE INTO outbox (event_id, body, created_at) VALUES (?, ?, ?)",
            (event.id, body, time.time()),
        )
        await db.commit()
        if cur.rowcount:
            self._pending += 1
        self._check_fill()
        self._idle.clear()
        self._wake.set()

    async def flush(self, timeout: float = 10.0) -> bool:
        """Wait until every stored event is delivered; return False on timeout."""
        if self._pending == 0:
            return True
        self._wake.set()
        try:
            await asyncio.wait_for(self._idle.wait(), timeout)
        except TimeoutError:
            return False
        return True

    async def dead_letters(self) -> list[tuple[str, str]]:
        """Return (event id, reason) for every event Core refused for good."""
        db = self._require_db()
        async with db.execute("SELECT event_id, reason FROM dead_letter ORDER BY failed_at") as cur:
            return [(str(r[0]), str(r[1])) for r in await cur.fetchall()]

    def _check_fill(self) -> None:
        if self._pending >= self._warn_at and not self._warned:
            self._warned = True
            log.warning(
                "outbox is %d%% full (%d of %d events): is Core down?",
                100 * self._pending // self._max_events,
                self._pending,
                self._max_events,
            )
        elif self._pending < self._warn_at // 2:
            self._warned = False

    def _require_db(self) -> aiosqlite.Connection:
        if self._db is None:
            raise CoreClientError("the outbox is not open; use it with 'async with'")
        return self._db

    async def _drain_forever(self) -> None:
        while True:
            # Clear before looking for work, never after: a put() landing while
            # a batch is read would otherwise have its wake-up wiped out, and
            # the drain would sleep on a non-empty outbox.
            self._wake.clear()
            try:
                delivered = await self._drain_once()
            except asyncio.CancelledError:
                raise
            except Exception:
                # Whatever went wrong, the drain must outlive it: a dead drain
                # would let the outbox fill up in silence.
                self._failures += 1
                log.exception("outbox drain failed (attempt %d); retrying", self._failures)
                delivered = False
            if self._pending == 0:
                self._idle.set()
            if delivered:
                continue
            delay = self._backoff() if self._failures else None
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _drain_once(self) -> bool:
        """Deliver one batch; return True if it made progress."""
        batch = await self._next_batch()
        if not batch:
            return False
        try:
            await self._deliver([event for _, event in batch])
        except DeliveryError as exc:
            if exc.retryable:
                self._failures += 1
                log.warning("delivery to Core failed (attempt %d): %s", self._failures, exc)
                return False
            await self._isolate(batch, exc)
            return True
        await self._remove([seq for seq, _ in batch])
        if self._failures:
            log.info("Core reachable again after %d failed attempts", self._failures)
        self._failures = 0
        return True

    async def _isolate(self, batch: list[tuple[int, Event]], exc: DeliveryError) -> None:
        if len(batch) == 1:
            await self._bury(batch[0], str(exc))
            return
        for item in batch:
            try:
                await self._deliver([item[1]])
            except DeliveryError as single:
                if single.retryable:
                    return  # Core went away mid-way: the rest wait for the next round
                await self._bury(item, str(single))
            else:
                await self._remove([item[0]])

    async def _next_batch(self) -> list[tuple[int, Event]]:
        db = self._require_db()
        async with db.execute(
            "SELECT seq, body FROM outbox ORDER BY seq LIMIT ?", (self._batch_size,)
        ) as cur:
            rows = await cur.fetchall()
        return [(int(seq), codec.decode(body, Event)) for seq, body in rows]

    async def _remove(self, seqs: list[int]) -> None:
        db = self._require_db()
        await db.executemany("DELETE FROM outbox WHERE seq = ?", [(s,) for s in seqs])
        await db.commit()
        self._pending = max(0, self._pending - len(seqs))
        self._check_fill()

    async def _bury(self, item: tuple[int, Event], reason: str) -> None:
        seq, event = item
        log.error("Core refused event %s for good; kept in dead_letter: %s", event.id, reason)
        db = self._require_db()
        await db.execute(
            "INSERT OR REPLACE INTO dead_letter (event_id, body, reason, failed_at) "
            "VALUES (?, ?, ?, ?)",
            (event.id, codec.encode(event).decode(), reason, time.time()),
        )
        await self._remove([seq])

    def _backoff(self) -> float:
        ceiling = min(self._max_delay, self._base_delay * 2.0 ** min(self._failures - 1, 30))
        return ceiling * random.uniform(0.5, 1.0)  # jitter spreads many senders apart
