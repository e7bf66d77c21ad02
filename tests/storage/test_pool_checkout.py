"""A pooled PostgreSQL connection the server has dropped never fails a request.

A PostgreSQL restart (or an administrator's `pg_terminate_backend`) closes
every connection Core keeps in its pool; the next request must be served on
a new one, not answered 503. `storage.db` checks each connection as it
leaves the pool. Here the server drops every connection of the test's
database between two deliveries, as a restart does.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest
from starlette.applications import Starlette

from core_client import CoreClient, Platform, RollRecord
from storage.app import create_app
from storage.settings import CoreSettings
from tests.support.services import PG_DSN, fresh_postgres_database

pytestmark = pytest.mark.postgres


@pytest.fixture
async def postgres_core(webhook_secret: str) -> AsyncIterator[tuple[Starlette, CoreClient, str]]:
    async with fresh_postgres_database() as url:
        settings = CoreSettings(database_url=url, signing_secrets=(webhook_secret,))
        app = create_app(settings)
        async with (
            app.router.lifespan_context(app),
            httpx2.AsyncClient(
                transport=httpx2.ASGITransport(app=app), base_url="http://core"
            ) as http,
        ):
            yield app, CoreClient("http://core", http, signing_secrets=[webhook_secret]), url


async def drop_connections(url: str) -> int:
    """Terminate every server connection to `url`'s database, as a restart would."""
    import asyncpg

    admin = await asyncpg.connect(PG_DSN)
    try:
        query = (
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
            " WHERE datname = $1 AND pid <> pg_backend_pid()"
        )
        return int(await admin.fetchval(query, url.rsplit("/", 1)[1]))
    finally:
        await admin.close()


def roll(total: int) -> RollRecord:
    return RollRecord(platform=Platform.DISCORD, campaign_id="c1", formula="1d20", total=total)


async def test_a_delivery_after_the_server_dropped_the_pool_is_stored(
    postgres_core: tuple[Starlette, CoreClient, str],
) -> None:
    _, client, url = postgres_core
    assert (await client.deliver([roll(1).event()])).accepted == 1
    assert await drop_connections(url) >= 1  # the pooled connection Core used
    assert (await client.deliver([roll(2).event(), roll(3).event()])).accepted == 2
    assert await drop_connections(url) >= 1
    assert (await client.deliver([roll(4).event()])).accepted == 1
