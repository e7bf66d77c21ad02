"""Core under benchmark, alone in its own process so its CPU time can be read.

Run by `ingest.py`: reads the database URL and the signing secret from the
environment (never the command line), serves Core with uvicorn on a free
loopback port and prints one JSON line with the port once it listens. With
BENCH_CORE_PROFILE set to a path, it runs under cProfile and writes the
profile there when it is stopped.
"""

from __future__ import annotations

import asyncio
import cProfile
import json
import logging
import os
import signal
import sys

import uvicorn

from bot.collector import short_pauses
from bot.serve import Roles, loop_runner, young_threshold
from storage.app import create_app
from storage.settings import CoreSettings

log = logging.getLogger(__name__)


async def serve() -> None:
    """Serve Core until SIGTERM; announce the port on stdout."""
    settings = CoreSettings(
        database_url=os.environ["BENCH_CORE_DATABASE_URL"],
        signing_secrets=(os.environ["BENCH_CORE_SIGNING_SECRET"],),
    )
    config = uvicorn.Config(
        create_app(settings), host="127.0.0.1", port=0, log_config=None, access_log=False
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:
        if task.done():
            task.result()
            raise RuntimeError("uvicorn stopped before it started")
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    # The collector's policy `fumblebot core` runs with (bot/serve.py), after start-up.
    async with short_pauses(young_threshold=young_threshold(Roles(core=True, service=False))):
        print(json.dumps({"port": port, "pid": os.getpid()}), flush=True)
        await task


def main() -> None:
    """Run, profiled if asked."""
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    path = os.environ.get("BENCH_CORE_PROFILE")
    run = loop_runner()  # as `fumblebot core` runs: uvloop where installed
    if not path:
        run(serve())
        return
    profiler = cProfile.Profile()
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(0))
    profiler.enable()
    try:
        run(serve())
    finally:
        profiler.disable()
        profiler.dump_stats(path)


if __name__ == "__main__":
    main()
