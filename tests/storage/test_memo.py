"""Ingest's memo of what it resolved never outlives a change, whichever Core made it.

Two Core apps on one database, each with its own engine and so its own memo,
stand for two Core processes: what one changes, the other's next delivery
sees, on SQLite and PostgreSQL.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

import httpx2
from starlette.applications import Starlette

from core_client import CampaignUpserted, CoreClient, SessionStarted
from storage import memo
from storage.app import create_app
from storage.settings import CoreSettings
from tests.support.core import d20_roll, stored_rolls


@asynccontextmanager
async def _core(settings: CoreSettings, secret: str, key: str) -> AsyncIterator[CoreClient]:
    app = create_app(settings)
    async with (
        app.router.lifespan_context(app),
        httpx2.AsyncClient(transport=httpx2.ASGITransport(app=app), base_url="http://core") as h,
    ):
        yield CoreClient("http://core", h, signing_secrets=[secret], api_key=key)


async def _last(app: Starlette) -> tuple[bool, str | None, str | None]:
    roll = (await stored_rolls(app))[-1]
    campaign = str(roll.campaign_id) if roll.campaign_id else None
    return roll.crit, campaign, str(roll.session_id) if roll.session_id else None


async def test_a_change_made_by_another_core_reaches_the_next_delivery(
    core_app: Starlette,
    core_client: CoreClient,
    core_settings: CoreSettings,
    webhook_secret: str,
    core_api_key: str,
) -> None:
    async with _core(core_settings, webhook_secret, core_api_key) as other:
        await core_client.deliver([d20_roll(19, "guild:1")])  # unknown yet: kept as such
        assert await _last(core_app) == (False, None, None)
        await other.deliver([CampaignUpserted(key="guild:1", name="C").event()])
        campaign = await other.campaign_by_key("guild:1")
        assert campaign is not None
        await core_client.deliver([d20_roll(19, "guild:1")])
        assert await _last(core_app) == (False, campaign["id"], None)
        await other.set_crit_preset(campaign["id"], "crit-range-19", enabled=True)
        await core_client.deliver([d20_roll(19, "guild:1")])
        assert await _last(core_app) == (True, campaign["id"], None)
        await other.deliver([SessionStarted(session_id="s1", campaign_id="guild:1").event()])
        await core_client.deliver([d20_roll(19, "guild:1")])
        crit, _, session = await _last(core_app)
        assert crit
        assert session is not None


async def test_a_transaction_that_changed_rows_neither_uses_nor_fills_the_memo(
    core_app: Starlette, core_client: CoreClient
) -> None:
    await core_client.deliver([d20_roll(20, "guild:1")])
    # The campaign, created in the same delivery as its rolls, links them.
    await core_client.deliver(
        [CampaignUpserted(key="guild:1", name="C").event(), d20_roll(20, "guild:1")]
    )
    campaign = await core_client.campaign_by_key("guild:1")
    assert campaign is not None
    assert (await _last(core_app))[1] == campaign["id"]
    async with core_app.state.sessions.begin() as session:
        await memo.bump(session)
        assert memo.bumped(session)
        assert await memo.Memo(session).lookup("x", ["k"], _fetch) == {"k": "fetched"}
        assert "x" not in memo._kept(session).answers
    await core_client.deliver([d20_roll(20, "guild:1")])
    assert (await _last(core_app))[1] == campaign["id"]


async def _fetch(keys: set[str]) -> dict[str, str]:
    return dict.fromkeys(keys, "fetched")
