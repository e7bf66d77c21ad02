"""Core's PostgreSQL connections are set up for many short statements: no JIT.

PostgreSQL's JIT compiler judged a delivery's insert of 500 rolls expensive
enough to compile, every time, which tripled the server's CPU per event
(`storage.db._postgres_session`). Every connection Core opens, the first
and any that replaces a dropped one, runs with it off.
"""

from __future__ import annotations

import pytest
from sqlalchemy import text

from storage import db
from tests.support.services import fresh_postgres_database

pytestmark = pytest.mark.postgres


async def test_every_connection_core_opens_runs_without_jit() -> None:
    async with fresh_postgres_database() as url:
        engine = db.create_engine(url)
        try:
            async with engine.connect() as first, engine.connect() as second:
                for conn in (first, second):
                    assert (await conn.execute(text("SHOW jit"))).scalar() == "off"
                    await conn.invalidate()  # as a dropped connection is, by the pool
            async with engine.connect() as replacement:
                assert (await replacement.execute(text("SHOW jit"))).scalar() == "off"
        finally:
            await engine.dispose()
