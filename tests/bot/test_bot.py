"""The command tree's one error handler: a Core failure becomes one clear reply.

Here the bot's Core is a port nothing listens on, so every Core call fails
as it would in an outage; the cogs no longer catch that themselves.
"""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx2
import pytest

from core_client import CoreClient
from tests.bot.conftest import Table, private_error


@pytest.fixture
async def core_client(webhook_secret: str, core_api_key: str) -> AsyncIterator[CoreClient]:
    """A Core client whose Core is down (nothing listens on the discard port)."""
    async with httpx2.AsyncClient(timeout=1) as http:
        yield CoreClient(
            "http://127.0.0.1:9", http, signing_secrets=[webhook_secret], api_key=core_api_key
        )


async def test_a_core_outage_before_the_reply_is_one_ephemeral_message(table: Table) -> None:
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "campaign info", {}
    )
    response = await inter.wait_response()
    assert response.ephemeral
    assert response.content == ("⚠️ FumbleBot's storage is not answering right now. Try again soon.")


async def test_a_core_refusal_after_a_public_defer_stays_private(table: Table) -> None:
    options = {"campaign": "not-a-campaign-id"}
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "campaign bind", options
    )
    response = await inter.wait_response()
    assert (response.type, response.ephemeral) == (5, False)  # deferred publicly, as before
    followup = await private_error(table, inter)
    assert followup.content == "⚠️ That no longer exists. It may have been removed."
