"""The same-run baseline: a plain sse-starlette broadcast app, one queue per client.

What a careful user of sse-starlette would write: `EventSourceResponse` over
an async generator reading the client's own `asyncio.Queue`; a publish puts
the event on every queue. It speaks just enough of the bridge's API for
`fanout.py` (`POST /vtt/accounts/link`, `/vtt/stream-tickets`, `/vtt/chat`,
`GET /vtt/stream`), with no auth, so the comparison is the streaming path.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import itertools
import json
import os
import resource
import sys
from collections.abc import AsyncIterator

import uvicorn
from sse_starlette import EventSourceResponse, ServerSentEvent
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from bot.collector import short_pauses


def raise_fd_limit() -> int:
    """Raise the open-file soft limit to the hard limit; return it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


def create_app() -> Starlette:
    """Build the broadcast app."""
    queues: set[asyncio.Queue[ServerSentEvent]] = set()
    ids = itertools.count(1)

    async def link(_request: Request) -> Response:
        return JSONResponse({"token": "t"}, status_code=201)

    async def ticket(_request: Request) -> Response:
        return JSONResponse({"ticket": "x"}, status_code=201)

    async def chat(request: Request) -> Response:
        body = await request.json()
        data = json.dumps({"chat": {"speaker": "A", "text": body["text"]}})
        event = ServerSentEvent(data=data, event="chat", id=str(next(ids)))
        for queue in queues:
            queue.put_nowait(event)
        return JSONResponse({"results": [{"status": "accepted"}]}, status_code=202)

    async def stream(_request: Request) -> Response:
        queue: asyncio.Queue[ServerSentEvent] = asyncio.Queue()
        queues.add(queue)

        async def events() -> AsyncIterator[ServerSentEvent]:
            try:
                yield ServerSentEvent(comment="connected", retry=3000)
                while True:
                    yield await queue.get()
            finally:
                queues.discard(queue)

        return EventSourceResponse(events(), ping=15, send_timeout=10)

    return Starlette(
        routes=[
            Route("/vtt/accounts/link", link, methods=["POST"]),
            Route("/vtt/stream-tickets", ticket, methods=["POST"]),
            Route("/vtt/chat", chat, methods=["POST"]),
            Route("/vtt/stream", stream, methods=["GET"]),
        ]
    )


async def main(port: int) -> None:
    """Serve the baseline and announce that it listens."""
    config = uvicorn.Config(
        create_app(),
        host="127.0.0.1",
        port=port,
        loop="uvloop",
        http="httptools",
        access_log=False,
        log_level="warning",
        backlog=4096,
        timeout_graceful_shutdown=1,
        timeout_keep_alive=60,
    )
    server = uvicorn.Server(config)
    task = asyncio.create_task(server.serve())
    while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
        await asyncio.sleep(0.05)
    # Plain, as it has been measured since issue #16: the start-up heap frozen
    # once. BENCH_BASELINE_GC=collector gives it the bridge's own policy
    # (bot/collector.py) too, to see how much of the gap that policy is.
    gc.collect()
    gc.freeze()
    policy = contextlib.nullcontext()
    if os.environ.get("BENCH_BASELINE_GC") == "collector":
        policy = short_pauses()  # type: ignore[assignment]
    async with policy:
        print(json.dumps({"codes": {}, "fd_limit": raise_fd_limit()}), flush=True)
        await task


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    raise_fd_limit()
    import uvloop

    with contextlib.suppress(KeyboardInterrupt):
        uvloop.run(main(args.port))
    sys.exit(0)
