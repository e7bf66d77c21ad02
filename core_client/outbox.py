"""A durable outbox: reports survive Core being down and the sender restarting.

Events are written to a local SQLite file (`core_client/outbox_store.py`)
before anything is sent, then a single drain task delivers them in order, in
batches. Core stores each event id once, so a batch resent after a crash
between "delivered" and "deleted here" has no second effect: delivery is at
least once, the effect exactly once.

No one event may stop the others. What happens to a delivery depends on why
it failed (`DeliveryFailure`):

- Core refused some events as invalid (its receipt names them, or a 400/413/
  422 for the batch): those go to the dead-letter table with Core's reason at
  once, the rest are delivered. A batch refused without names is split in
  halves until the culprit is alone.
- Core failed on the delivery (a 500): it may be one event that breaks Core,
  so the batch is split the same way; an event Core fails on while others go
  through is held back on its own, with its own backoff, and never buried.
- Core is unreachable, down (502/503/504), throttling (408/425/429), or does
  not accept the sender (401/403: a key Core does not know; other 4xx: a
  wrong URL): nothing is wrong with the events, so every event is held and
  the whole drain backs off (capped exponential, with jitter), saying loudly
  and at most once per `alert_interval` what to fix.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import math
import random
import time
from collections.abc import Awaitable, Callable, Sequence
from pathlib import Path
from types import TracebackType

from core_client.contract import Event, codec
from core_client.contract.receipts import DeliveryReceipt
from core_client.errors import CoreClientError, DeliveryError, DeliveryFailure, RecordError
from core_client.outbox_settings import OutboxSettings
from core_client.outbox_store import DeadLetter, OutboxStore, Queued, QueueStatus

log = logging.getLogger(__name__)

_DEFAULTS = OutboxSettings()  # the one declaration of every default below

Deliver = Callable[[Sequence[Event]], Awaitable[DeliveryReceipt]]
Item = tuple[Queued, Event]

# What to fix, by the kind of failure that holds the whole outbox.
HINTS = {
    DeliveryFailure.UNAUTHORIZED: (
        "Core does not accept this sender's signing key: give Core and the sender a shared "
        "key in FUMBLEBOT_WEBHOOK_SECRETS (to rotate, give Core the new key first, then "
        "the sender; drop the old key last)"
    ),
    DeliveryFailure.MISDIRECTED: "check core.url: no webhook route of Core answers there",
    DeliveryFailure.UNREACHABLE: "is Core running, and is core.url right?",
    DeliveryFailure.UNAVAILABLE: "Core or its database is down",
    DeliveryFailure.THROTTLED: "Core asks the sender to slow down",
    DeliveryFailure.BROKEN: "Core failed on every event it was sent; see Core's log",
}
# Failures only a person can fix: said at ERROR, the others at WARNING.
SENDER_FAULTS = frozenset({DeliveryFailure.UNAUTHORIZED, DeliveryFailure.MISDIRECTED})


class OutboxFullError(CoreClientError):
    """The outbox holds its maximum; the event was not accepted."""


class _Alarm:
    """Let a recurring complaint through now, then at most once per interval."""

    def __init__(self, interval: float) -> None:
        self._interval = interval
        self._last = -math.inf
        self._kind: DeliveryFailure | None = None

    def due(self, kind: DeliveryFailure) -> bool:
        now = time.monotonic()
        if kind is not self._kind or now - self._last >= self._interval:
            self._last, self._kind = now, kind
            return True
        return False

    def reset(self) -> None:
        self._last, self._kind = -math.inf, None


class Outbox:
    """Queue events durably and deliver them to Core in the background."""

    def __init__(
        self,
        path: str | Path,
        deliver: Deliver,
        *,
        max_events: int = _DEFAULTS.max_events,
        batch_size: int = _DEFAULTS.batch_size,
        batch_bytes: int = _DEFAULTS.batch_bytes,
        base_delay: float = _DEFAULTS.base_delay,
        max_delay: float = _DEFAULTS.max_delay,
        warn_ratio: float = _DEFAULTS.warn_ratio,
        alert_interval: float = _DEFAULTS.alert_interval,
        idle_poll: float = _DEFAULTS.idle_poll,
    ) -> None:
        self._path = Path(path)
        self._deliver = deliver
        self._max_events = max_events
        self._batch_size = batch_size
        self._batch_bytes = batch_bytes
        self._base_delay = base_delay
        self._max_delay = max_delay
        self._idle_poll = idle_poll  # picks up dead letters `fumblebot outbox retry` requeued
        self._warn_at = int(max_events * warn_ratio)
        self._store: OutboxStore | None = None
        self._wake = asyncio.Event()
        self._idle = asyncio.Event()
        self._task: asyncio.Task[None] | None = None
        self._alarm = _Alarm(alert_interval)
        self._pending = 0
        self._failures = 0
        self._retry_in = 0.0
        self._warned = False
        # One round's findings: did Core take anything, why did it stop.
        self._progress = False
        self._stuck = False
        self._held: DeliveryError | None = None

    async def __aenter__(self) -> Outbox:
        self._store = await OutboxStore.open(self._path)
        self._pending = await self._store.count()
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
        if self._store is not None:
            await self._store.close()
        self._store = None

    @property
    def pending(self) -> int:
        """Return how many events wait for delivery."""
        return self._pending

    async def put(self, event: Event) -> None:
        """Store an event durably; it will be delivered in the background.

        Raise RecordError for an event JSON cannot carry (NaN, Infinity): it
        could never be delivered, so it is refused here, at the first edge.
        """
        store = self._require_store()
        if self._pending >= self._max_events:
            log.error("outbox full (%d events): Core has been unreachable too long", self._pending)
            raise OutboxFullError(f"the outbox holds {self._pending} events, its maximum")
        try:
            # Not msgspec's encoder: it writes NaN as null, and a changed
            # value is worse than a refused one.
            body = json.dumps(
                codec.to_builtins(event), separators=(",", ":"), allow_nan=False, ensure_ascii=False
            )
            body.encode()  # a lone surrogate cannot be sent as UTF-8: refuse it here
        except ValueError as exc:  # UnicodeEncodeError is one
            raise RecordError("data", f"is not plain JSON ({exc})") from exc
        if await store.insert(event.id, body):
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

    async def dead_letters(self) -> list[DeadLetter]:
        """Return every event Core refused for good, oldest first."""
        return await self._require_store().dead_letters()

    @property
    def backlogged(self) -> bool:
        """Return whether the queue is past `warn_ratio` full: Core is not keeping up."""
        return self._pending >= self._warn_at

    async def status(self) -> QueueStatus:
        """Return what the queue holds and how the drain is doing."""
        return await self._require_store().status()

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

    def _require_store(self) -> OutboxStore:
        if self._store is None:
            raise CoreClientError("the outbox is not open; use it with 'async with'")
        return self._store

    # -- the drain ---------------------------------------------------------

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
                self._retry_in = self._backoff(self._failures)
                log.exception("outbox drain failed (attempt %d); retrying", self._failures)
                delivered = False
            if self._pending == 0:
                self._idle.set()
            if delivered:
                continue
            if self._failures:
                # A backoff is not cut short by new events: Core is not ready.
                await asyncio.sleep(self._retry_in)
                continue
            delay = await self._idle_delay()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), delay)

    async def _drain_once(self) -> bool:
        """Deliver one batch; return True if it settled every event of it."""
        store = self._require_store()
        rows = _within(await store.due(self._batch_size), self._batch_bytes)
        if not rows:
            self._pending = await store.count()  # the CLI may have requeued some
            return False
        batch = await self._readable(rows)
        self._progress, self._stuck, self._held = False, False, None
        if batch and not await self._send(batch):
            await self._hold()
            return False
        if self._failures and self._progress:
            log.info("Core reachable again after %d failed attempts", self._failures)
            self._failures = 0
            self._alarm.reset()
            await store.note_failure(0, None, None)
        return True

    async def _send(self, batch: list[Item]) -> bool:
        """Deliver events; return True if each was delivered, buried or held back."""
        if self._stuck:
            return False
        try:
            receipt = await self._deliver([event for _, event in batch])
        except DeliveryError as exc:
            return await self._failed(batch, exc)
        self._progress = True
        refused = {r.index: r for r in receipt.refused if r.index < len(batch)}
        for index, reason in refused.items():
            await self._bury(batch[index][0], f"Core refused it: {reason.describe()}")
        await self._remove([q.seq for i, (q, _) in enumerate(batch) if i not in refused])
        return True

    async def _failed(self, batch: list[Item], exc: DeliveryError) -> bool:
        if exc.failure is DeliveryFailure.INVALID:
            self._progress = True  # Core is up: it read the events and judged them
            named = {r.index: r for r in exc.refused}
            if len(batch) == 1 or set(named) == set(range(len(batch))):
                for index, item in enumerate(batch):
                    refusal = named.get(index)
                    why = f"Core refused it: {refusal.describe()}" if refusal else str(exc)
                    await self._bury(item[0], why)
                return True
            return await self._halves(batch)
        self._held = exc
        if exc.failure is DeliveryFailure.BROKEN:
            if len(batch) > 1:
                return await self._halves(batch)
            # Others went through, or it failed alone before: this event is
            # what Core fails on. Hold back only it, so it delays nothing else.
            if self._progress or batch[0][0].attempts:
                await self._defer(batch[0], exc)
                return True
            return False
        self._stuck = True  # Core is down or refuses the sender: every event waits
        return False

    async def _halves(self, batch: list[Item]) -> bool:
        """Deliver a batch as two halves, to find the event Core cannot take."""
        middle = len(batch) // 2
        left, right = batch[:middle], batch[middle:]
        left_ok = await self._send(left)
        right_ok = await self._send(right)
        if not right_ok:
            # Both halves failed with nothing taken: Core fails on everything.
            self._stuck = self._stuck or not left_ok
            return False
        # The right half went through, so Core is up: resent, the left one
        # narrows down to the event Core fails on, and holds back only that.
        return left_ok or await self._send(left)

    async def _readable(self, rows: list[Queued]) -> list[Item]:
        """Return the rows as events, burying any that can never be sent."""
        items = []
        for row in rows:
            try:
                items.append((row, codec.decode(codec.parse_json(row.body.encode()), Event)))
            except RecordError as exc:
                # Stored by an older sender (which let NaN in): no retry can help.
                await self._bury(row, f"the sender cannot encode it: {exc}")
        return items

    async def _remove(self, seqs: list[int]) -> None:
        await self._require_store().remove(seqs)
        self._pending = max(0, self._pending - len(seqs))
        self._check_fill()

    async def _bury(self, queued: Queued, reason: str) -> None:
        log.error("event %s refused for good; kept in dead_letter: %s", queued.event_id, reason)
        await self._require_store().bury(queued, reason)
        self._pending = max(0, self._pending - 1)
        self._check_fill()

    async def _defer(self, item: Item, exc: DeliveryError) -> None:
        queued = item[0]
        delay = self._backoff(queued.attempts + 1)
        log.error(
            "Core fails on event %s (attempt %d): %s; holding it back %.1f s, the events "
            "behind it go on. It is retried, not dead-lettered: see Core's log",
            queued.event_id,
            queued.attempts + 1,
            exc,
            delay,
        )
        await self._require_store().defer(queued, time.time() + delay, str(exc))

    async def _hold(self) -> None:
        """Back off the whole drain: Core, the network or the sender's setup is at fault."""
        self._failures += 1
        exc = self._held or DeliveryError("Core failed on the delivery")
        self._retry_in = self._backoff(self._failures)
        await self._require_store().note_failure(
            self._failures, time.time() + self._retry_in, str(exc)
        )
        if not self._alarm.due(exc.failure):
            return
        log.log(
            logging.ERROR if exc.failure in SENDER_FAULTS else logging.WARNING,
            "delivery to Core failed (attempt %d): %s. %d events held, none dead-lettered; "
            "retrying with backoff. Fix: %s",
            self._failures,
            exc,
            self._pending,
            HINTS[exc.failure],
        )

    async def _idle_delay(self) -> float:
        due = await self._require_store().next_deferred()
        if due is None:
            return self._idle_poll
        return max(0.0, min(self._idle_poll, due - time.time()))

    def _backoff(self, attempt: int) -> float:
        ceiling = min(self._max_delay, self._base_delay * 2.0 ** min(attempt - 1, 30))
        return ceiling * random.uniform(0.5, 1.0)  # jitter spreads many senders apart


def _within(rows: list[Queued], limit: int) -> list[Queued]:
    """Return the leading rows whose stored bodies fit in `limit` bytes (at least one row).

    A stored body is the event's JSON as it will be sent, so their sum is the
    delivery body's size, less a few bytes of framing.
    """
    used = 0
    for count, row in enumerate(rows):
        used += len(row.body.encode())
        if used > limit and count:
            return rows[:count]
    return rows
