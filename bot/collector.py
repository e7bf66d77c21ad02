"""The garbage collector's policy for a long-running server: short pauses.

A full collection stops the whole process while it walks every object the
collector tracks. Start-up leaves a few hundred thousand of them (imports and
wiring), and 10,000 open SSE streams about as many again: full passes of
0.5-1.5 s landed inside fan-outs and set the delivery p99 of the realistic
mix (docs/benchmarks.md, "Realistic mix"). So, while the server runs:

- the start-up heap is frozen once (`gc.freeze()`) and never walked again;
- after every full collection the survivors are frozen as well: they were
  just found reachable, so the next full pass walks only what came since;
- frozen objects are still freed by reference counting the moment they are
  dropped. Only reference cycles among them wait (a finished request's
  uvicorn cycle, a closed stream's task), so every `thaw_seconds` everything
  is thawed and collected in one pass, which bounds that memory.

The thaw is the one long pause left: one full pass over the live heap per
period, measured in docs/benchmarks.md.

A process that serves Core alone also collects its youngest generation less
often: every `CORE_YOUNG_THRESHOLD` net allocations instead of CPython's
700. Its objects die with their request, but a 500-event delivery keeps tens
of thousands alive while it is stored, and at 700 each was walked about ten
times over: 4.5 us of CPU per event, against 1.4 at 50,000. A process with
open streams keeps the default: its young objects are long-lived streams'
state, and walking 50,000 of them at once stopped every stream for up to 200
ms (docs/benchmarks.md, "Core ingest").
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import logging
from collections.abc import AsyncIterator
from typing import Any

log = logging.getLogger(__name__)

THAW_SECONDS = 600.0
CORE_YOUNG_THRESHOLD = 50_000


class Collector:
    """Freezes survivors of full collections; thaws and collects on demand."""

    def __init__(self, young_threshold: int | None = None) -> None:
        self.frozen_passes = 0  # full collections whose survivors were frozen
        self.thaws = 0
        self._young = young_threshold  # None: CPython's own
        self._thresholds = gc.get_threshold()

    def start(self) -> None:
        """Freeze the start-up heap and refreeze after every full collection from now on."""
        gc.collect()
        gc.freeze()
        self._thresholds = gc.get_threshold()
        if self._young is not None:
            gc.set_threshold(self._young, *self._thresholds[1:])
        gc.callbacks.append(self._on_collection)
        log.debug("froze %d start-up objects out of the collector's reach", gc.get_freeze_count())

    def stop(self) -> None:
        """Stop refreezing and hand everything back to the collector."""
        with contextlib.suppress(ValueError):
            gc.callbacks.remove(self._on_collection)
        gc.set_threshold(*self._thresholds)
        gc.unfreeze()

    def thaw(self) -> int:
        """Collect everything once, cycles among frozen objects too; return what was freed."""
        gc.unfreeze()
        freed = gc.collect()  # a full pass: `_on_collection` freezes the survivors again
        self.thaws += 1
        log.debug("thawed the heap: %d unreachable objects freed", freed)
        return freed

    def _on_collection(self, phase: str, info: dict[str, Any]) -> None:
        # Right after a full pass every tracked object is in the oldest
        # generation and was just found reachable: freezing now keeps only
        # live objects out of the next passes.
        if phase == "stop" and info["generation"] == 2:
            gc.freeze()
            self.frozen_passes += 1


@contextlib.asynccontextmanager
async def short_pauses(
    thaw_seconds: float = THAW_SECONDS, young_threshold: int | None = None
) -> AsyncIterator[Collector]:
    """Run the collector's policy for the life of the server."""
    collector = Collector(young_threshold)
    collector.start()

    async def thaw_periodically() -> None:
        while True:
            await asyncio.sleep(thaw_seconds)
            collector.thaw()

    task = asyncio.create_task(thaw_periodically(), name="gc thaw")
    try:
        yield collector
    finally:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        collector.stop()
