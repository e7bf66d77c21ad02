from __future__ import annotations

import asyncio

import httpx2
import pytest
from starlette.applications import Starlette

from bot.campaigns import ChannelDirectory
from bot.cogs.common import before_reply
from bot.cogs.errors import UserFacingError
from core_client import CoreClient


async def test_before_reply_turns_a_slow_lookup_into_a_polite_refusal() -> None:
    with pytest.raises(UserFacingError, match="slow right now"):
        async with before_reply(0.01):
            await asyncio.sleep(1)


async def test_directory_asks_core_once_for_a_burst_of_lookups(
    core_app: Starlette, core_client: CoreClient, webhook_secret: str, core_api_key: str
) -> None:
    campaign = await core_client.create_campaign(name="Burst")
    await core_client.create_game_link(campaign["id"], discord_channel_id="4242")
    seen: list[str] = []

    async def count(request: httpx2.Request) -> None:
        seen.append(request.url.path)

    transport = httpx2.ASGITransport(app=core_app)
    async with httpx2.AsyncClient(
        transport=transport, base_url="http://core", event_hooks={"request": [count]}
    ) as http:
        counted = CoreClient(
            "http://core", http, signing_secrets=[webhook_secret], api_key=core_api_key
        )
        directory = ChannelDirectory(counted)
        found = await asyncio.gather(*(directory.binding(4242) for _ in range(20)))
    assert {b.campaign_id for b in found if b is not None} == {campaign["id"]}
    assert seen.count("/game-links") == 1
