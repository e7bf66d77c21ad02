"""Serve an ASGI app with a real uvicorn on loopback, for tests that need
real HTTP (SSE streaming above all, which ASGITransport buffers)."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Iterator

import uvicorn
from starlette.types import ASGIApp


class _QuietServer(uvicorn.Server):
    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        yield


@contextlib.asynccontextmanager
async def serve(app: ASGIApp) -> AsyncIterator[str]:
    """Run `app` on 127.0.0.1 at a free port; yield its base URL."""
    config = uvicorn.Config(
        app, host="127.0.0.1", port=0, lifespan="on", log_config=None, timeout_graceful_shutdown=1
    )
    server = _QuietServer(config)
    task = asyncio.create_task(server.serve())
    try:
        while not server.started:
            if task.done():
                task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        port = server.servers[0].sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await asyncio.wait_for(task, 10)


class RestartableServer:
    """A uvicorn server that can be stopped and started again on the same port.

    For fault tests: while it is stopped, connections to its port are refused,
    as they would be while Core restarts.
    """

    def __init__(self, app: ASGIApp) -> None:
        self._app = app
        self._port = 0
        self._server: _QuietServer | None = None
        self._task: asyncio.Task[None] | None = None

    @property
    def url(self) -> str:
        """Return the base URL (fixed after the first start)."""
        return f"http://127.0.0.1:{self._port}"

    async def start(self) -> str:
        """Start serving; return the base URL."""
        config = uvicorn.Config(
            self._app,
            host="127.0.0.1",
            port=self._port,
            lifespan="on",
            log_config=None,
            timeout_graceful_shutdown=1,
        )
        self._server = _QuietServer(config)
        self._task = asyncio.create_task(self._server.serve())
        while not self._server.started:
            if self._task.done():
                self._task.result()
                raise RuntimeError("uvicorn stopped before it started")
            await asyncio.sleep(0.01)
        self._port = self._server.servers[0].sockets[0].getsockname()[1]
        return self.url

    async def stop(self) -> None:
        """Stop serving and wait until the port is closed."""
        if self._server is not None and self._task is not None:
            self._server.should_exit = True
            await asyncio.wait_for(self._task, 10)
        self._server, self._task = None, None
