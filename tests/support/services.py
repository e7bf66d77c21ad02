"""Reach the real PostgreSQL and Redis the tests need, or skip saying why.

With CI=true a missing service fails the test instead: CI must never pass by
skipping what it was meant to check.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import pytest

PG_DSN = os.environ.get("FUMBLEBOT_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/test")
REDIS_URL = os.environ.get("FUMBLEBOT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def unavailable(what: str, exc: BaseException) -> None:
    """Skip, or under CI fail, because a service cannot be reached."""
    message = f"{what} is not reachable ({type(exc).__name__}: {exc})"
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{message}; CI requires it", pytrace=False)
    pytest.skip(message)


@asynccontextmanager
async def fresh_postgres_database() -> AsyncIterator[str]:
    """Create an empty PostgreSQL database for one test; yield its SQLAlchemy URL."""
    import asyncpg

    name = f"fb_test_{uuid.uuid4().hex[:12]}"
    try:
        admin = await asyncpg.connect(PG_DSN, timeout=5)
    except (OSError, asyncpg.PostgresError) as exc:
        unavailable(f"PostgreSQL at {PG_DSN}", exc)
        raise  # unreachable: unavailable() always raises
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        base = PG_DSN.rsplit("/", 1)[0].replace("postgresql://", "postgresql+asyncpg://", 1)
        yield f"{base}/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()
