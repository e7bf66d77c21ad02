"""The bridge under benchmark: one process, in-process bus, reports discarded.

Run by `fanout.py`; prints one JSON line with pairing codes once it listens,
so the client process can link like a real extension does.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import logging
import os
import resource
import sys
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from bridge.app import close_streams, create_app
from bridge.bus import InMemoryBus
from bridge.pairing import create_pairing_code
from bridge.settings import BridgeSettings
from bridge.store import MemoryStore
from core_client import Event

log = logging.getLogger(__name__)


class DiscardingReporter:
    """Drop reports: the benchmark measures fan-out, not delivery to Core."""

    async def put(self, event: Event) -> None:
        """Accept and forget an event."""


def raise_fd_limit() -> int:
    """Raise the open-file soft limit to the hard limit; return it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


class _Server(uvicorn.Server):
    """Close the SSE streams first on a signal, so shutdown does not wait on them."""

    app: Starlette

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """End the streams, then stop as uvicorn does."""
        close_streams(self.app)
        super().handle_exit(sig, frame)


async def main(port: int, queue: int) -> None:
    """Serve the bridge and announce the pairing codes."""
    settings = BridgeSettings(
        subscriber_queue=queue, rate_per_second=1e6, rate_burst=10**6, link_rate_burst=100
    )
    bus, store = InMemoryBus(), MemoryStore()
    app = create_app(settings, reporter=DiscardingReporter(), bus=bus, store=store)
    config = uvicorn.Config(
        app,
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        backlog=4096,
        timeout_graceful_shutdown=5,
        timeout_keep_alive=60,
    )
    server = _Server(config)
    server.app = app
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.05)
    codes = {
        role: (await create_pairing_code(store, role, "bench", ["g1"], ttl=600.0)).code
        for role in ("listener", "poster")
    }
    print(json.dumps({"codes": codes, "fd_limit": raise_fd_limit()}), flush=True)
    await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--queue", type=int, default=256)
    args = parser.parse_args()
    raise_fd_limit()
    if os.environ.get("BENCH_GC_THRESHOLD"):
        # Fewer full collections: each one walks every live stream's objects.
        gc.set_threshold(*map(int, os.environ["BENCH_GC_THRESHOLD"].split(",")))
    import uvloop

    uvloop.run(main(args.port, args.queue))
    sys.exit(0)
