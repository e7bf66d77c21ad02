"""`/overlay create | list | revoke` through the Discord emulator, with a real Core: GM only."""

from __future__ import annotations

import logging
import re
from dataclasses import replace

import pytest

from bridge.errors import BridgeAuthError
from bridge.overlay.keys import authenticate_overlay, list_overlay_keys
from tests.bot.cogs.test_campaign_commands import create_campaign, slash
from tests.bot.conftest import Table

BRIDGE_URL = "https://dice.example.com"
URL = re.compile(r"<(https://dice\.example\.com/overlay/(fbo_[A-Za-z0-9_-]+))>")


@pytest.fixture
def table_with_bridge(table: Table) -> Table:
    table.bot.deps = replace(table.bot.deps, bridge_url=BRIDGE_URL)
    return table


async def test_the_gm_makes_lists_and_revokes_an_overlay_link(table_with_bridge: Table) -> None:
    table = table_with_bridge
    campaign_id = await create_campaign(table)
    made = await (await slash(table, "overlay create")).wait_response()
    assert made.ephemeral  # the URL is a credential: only the GM sees it
    found = URL.search(made.content or "")
    assert found is not None, made.content
    key = found.group(2)
    record = await authenticate_overlay(table.store, key)
    assert record.campaign_id == campaign_id
    assert record.created_by == str(table.player.id)
    assert "Browser Source" in (made.content or "")

    listed = await (await slash(table, "overlay list")).wait_response()
    assert listed.ephemeral
    assert record.key_id in (listed.content or "")
    assert key not in (listed.content or "")  # ids only: the key was shown once

    gone = await (await slash(table, "overlay revoke", {"key_id": record.key_id})).wait_response()
    assert gone.ephemeral
    assert "is off" in (gone.content or "")
    with pytest.raises(BridgeAuthError) as refused:
        await authenticate_overlay(table.store, key)
    assert refused.value.code == "overlay_key_revoked"
    assert await list_overlay_keys(table.store, campaign_id) == []


async def test_players_cannot_make_or_revoke_overlay_links(table_with_bridge: Table) -> None:
    table = table_with_bridge
    campaign_id = await create_campaign(table)
    made = await (await slash(table, "overlay create")).wait_response()
    assert URL.search(made.content or "") is not None
    [record] = await list_overlay_keys(table.store, campaign_id)
    bob = table.emu.add_user("bob")
    table.emu.add_member(table.guild, bob)
    for command, options in (
        ("overlay create", {}),
        ("overlay list", {}),
        ("overlay revoke", {"key_id": record.key_id}),
    ):
        answer = await (await slash(table, command, options, user=bob)).wait_response()
        assert answer.ephemeral
        assert "Only the GM" in (answer.content or ""), command
    assert [k.key_id for k in await list_overlay_keys(table.store, campaign_id)] == [record.key_id]


async def test_revoking_an_unknown_link_says_so(table_with_bridge: Table) -> None:
    table = table_with_bridge
    await create_campaign(table)
    answer = await (await slash(table, "overlay revoke", {"key_id": "ovl_nope"})).wait_response()
    assert answer.ephemeral
    assert "no overlay link `ovl_nope`" in (answer.content or "")


async def test_without_a_bridge_the_command_says_so(table: Table) -> None:
    await create_campaign(table)
    answer = await (await slash(table, "overlay create")).wait_response()
    assert answer.ephemeral
    assert "bridge is not running" in (answer.content or "")


async def test_making_a_link_logs_no_key_even_at_debug(
    table_with_bridge: Table, caplog: pytest.LogCaptureFixture
) -> None:
    table = table_with_bridge
    await create_campaign(table)
    with caplog.at_level(logging.DEBUG):
        made = await (await slash(table, "overlay create")).wait_response()
    found = URL.search(made.content or "")
    assert found is not None
    key = found.group(2)
    lines = [r.getMessage() for r in caplog.records]
    assert any("overlay key ovl_" in line for line in lines)  # the id is logged, at INFO
    assert not [line for line in lines if key in line]
