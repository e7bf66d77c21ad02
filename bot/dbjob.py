"""Run one job in one database transaction from a CLI command, outside any event loop.

`fumblebot keys`, `export` and `import` work on Core's database directly (the
first key needs no key; a move needs no running Core). Each opens an engine,
runs its job in one transaction and disposes of the engine; Core's errors
become the CLI's one-line `FumbleBotError`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.errors import FumbleBotError
from storage import db
from storage.errors import StorageError

T = TypeVar("T")


def run_job(url: str, job: Callable[[AsyncSession], Awaitable[T]], what: str = "") -> T:
    """Run `job` in one transaction on the database at `url`; return what it returns."""

    async def run() -> T:
        engine = db.create_engine(url)
        try:
            async with db.sessionmaker(engine).begin() as session:
                return await job(session)
        finally:
            await engine.dispose()

    try:
        return asyncio.run(run())
    except StorageError as exc:
        raise FumbleBotError(f"{what}: {exc}" if what else str(exc)) from exc
