"""AI usage totals: `GET /ai/usage`, per Discord user and per guild, since a moment."""

from __future__ import annotations

import time

import httpx2
import pytest

from core_client import AiProvider, AiUsage, CampaignUpserted, CoreClient
from core_client.errors import CoreClientError
from tests.support.core import SCOPED_KEY, client_with_key


def used(tokens: int, user: str, campaign: str) -> AiUsage:
    return AiUsage(
        provider=AiProvider.OPENAI,
        model="m",
        prompt_tokens=tokens - 1,
        completion_tokens=1,
        user_discord_id=user,
        campaign_id=campaign,
    )


async def test_totals_count_a_users_and_a_guilds_tokens_in_all_its_campaigns(
    core_client: CoreClient,
) -> None:
    await core_client.deliver(
        [
            CampaignUpserted(key="strahd", name="Strahd", guild_id="1").event(),
            used(100, "alice", "guild:1").event(),  # under the guild's key
            used(20, "alice", "strahd").event(),  # in one of its campaigns
            used(3, "bob", "guild:1").event(),
            used(4000, "alice", "guild:2").event(),  # another guild
        ]
    )
    since = time.time() - 60
    totals = await core_client.usage_totals(since, user_discord_id="alice", guild_id="1")
    assert totals == {"user_tokens": 4120, "guild_tokens": 123}
    later = await core_client.usage_totals(time.time() + 60, user_discord_id="alice")
    assert later == {"user_tokens": 0, "guild_tokens": 0}


async def test_since_is_required_and_only_a_service_key_may_ask(
    core_client: CoreClient, core_http: httpx2.AsyncClient, core_api_key: str
) -> None:
    headers = {"authorization": f"Bearer {core_api_key}"}
    response = await core_http.get("/ai/usage", params={"guild_id": "1"}, headers=headers)
    assert response.status_code == 400
    assert response.json()["error"].get("field") == "since"
    with pytest.raises(CoreClientError):
        await client_with_key(core_http, SCOPED_KEY).usage_totals(0, guild_id="1")
