"""VTT -> Discord relay under pressure: sustained 429s and channels that refuse for good."""

from __future__ import annotations

import asyncio

import httpx2

from bot.cogs.relay import RelayCog
from bot.service_app import create_service_app
from bridge.app import create_app as create_bridge_app
from bridge.events import Origin, chat_event, game_topic
from bridge.settings import BridgeSettings
from core_client import CoreClient
from tests.bot.cogs.test_campaign_commands import create_campaign
from tests.bot.conftest import Table
from tests.emulators.discord_models import Perm
from tests.support.metrics import scrape

WEBHOOK_ROUTE = "/webhooks/{webhook_id}/{webhook_token}"


async def following(table: Table, core_client: CoreClient) -> tuple[str, str, RelayCog]:
    campaign_id = await create_campaign(table)
    [link] = await core_client.game_links(discord_channel_id=str(table.channel.id))
    relay = table.bot.get_cog("RelayCog")
    assert isinstance(relay, RelayCog)
    for _ in range(200):  # the relay resubscribes after the new binding
        if relay.follows(game_topic(campaign_id, link["id"])):
            break
        await asyncio.sleep(0.02)
    return campaign_id, link["id"], relay


async def say(table: Table, campaign_id: str, game_id: str, speaker: str, text: str) -> None:
    origin = Origin("roll20", user_id=f"-{speaker}", user_name=speaker)
    data = chat_event(campaign_id, game_id, origin, speaker=speaker, text=text)
    await table.bus.publish(game_topic(campaign_id, game_id), "chat", data)


async def test_a_sustained_429_delays_lines_but_never_drops_or_reorders_them(
    table: Table, core_client: CoreClient
) -> None:
    campaign_id, game_id, relay = await following(table, core_client)
    # More 429s in a row than discord.py's five tries: it raises HTTPException(429).
    table.emu.inject_rate_limit("POST", WEBHOOK_ROUTE, retry_after=0.05, count=12)
    lines = [("Grog", "I rage!"), ("Pike", "I heal Grog."), ("Grog", "I attack.")]
    for speaker, text in lines:
        await say(table, campaign_id, game_id, speaker, text)
    await table.emu.wait_channel_message(
        table.channel, lambda m: m.content == "I attack.", timeout=20
    )
    assert await relay.drained(5)
    posted = [
        (m.username, m.content)
        for m in table.emu.channel_messages(table.channel)
        if m.source == "webhook"
    ]
    assert posted == [(f"{s} (Roll20)", t) for s, t in lines]
    limited = [r for r in table.emu.requests_for("execute_webhook") if r.status == 429]
    assert len(limited) == 12


async def test_metrics_show_the_relay_queue_and_count_every_discord_429(
    table: Table, core_client: CoreClient
) -> None:
    bridge = create_bridge_app(BridgeSettings(), reporter=core_client)
    app = create_service_app(bridge, ai=None, core=None, api_keys=(), metrics=table.metrics)  # type: ignore[arg-type]
    transport = httpx2.ASGITransport(app=app)
    async with httpx2.AsyncClient(transport=transport, base_url="http://service") as service:
        before = await scrape(service)
        assert before[("fumblebot_relay_queue_lines", "")] == 0
        assert before[("fumblebot_discord_rate_limited_total", "")] == 0
        campaign_id, game_id, relay = await following(table, core_client)
        # Long enough waits that the three lines are all queued while Discord says 429.
        table.emu.inject_rate_limit("POST", WEBHOOK_ROUTE, retry_after=0.3, count=7)
        for n in range(3):
            await say(table, campaign_id, game_id, f"Speaker{n}", f"line {n}")
        await table.emu.state.wait_until(
            lambda: any(r.status == 429 for r in table.emu.requests_for("execute_webhook")),
            10,
            "Discord to refuse a post",
        )
        held = await scrape(service)
        assert held[("fumblebot_relay_queue_lines", "")] == 3
        await table.emu.wait_channel_message(
            table.channel, lambda m: m.content == "line 2", timeout=20
        )
        assert await relay.drained(5)
        after = await scrape(service)
    limited = [r for r in table.emu.requests_for("execute_webhook") if r.status == 429]
    assert len(limited) == 7
    assert after[("fumblebot_discord_rate_limited_total", "")] == 7
    assert after[("fumblebot_relay_queue_lines", "")] == 0


async def test_a_channel_that_refuses_for_good_is_told_to_the_gm_once(
    table: Table, core_client: CoreClient
) -> None:
    bot_role = table.guild.roles[table.guild.bot_role_id]
    table.emu.set_permissions(table.channel, bot_role, deny=Perm.MANAGE_WEBHOOKS)
    campaign_id, game_id, relay = await following(table, core_client)
    for n in range(3):
        await say(table, campaign_id, game_id, f"Speaker{n}", f"line {n}")
    dm = table.emu.dm_channel(table.player)
    await table.emu.wait_channel_message(dm)
    await table.emu.state.wait_until(
        lambda: len(table.emu.requests_for("/channels/{channel_id}/webhooks", "GET")) >= 3,
        10,
        "every line to be tried",
    )
    assert await relay.drained(5)
    dms = table.emu.channel_messages(dm)
    assert len(dms) == 1
    assert "Manage Webhooks" in (dms[0].content or "")
    assert f"<#{table.channel.id}>" in (dms[0].content or "")


async def test_resubscribing_after_a_binding_change_misses_no_line(
    table: Table, core_client: CoreClient
) -> None:
    campaign_id, game_id, _ = await following(table, core_client)
    said: list[str] = []

    async def chatter() -> None:
        for i in range(150):
            said.append(f"Line {i}.")
            await say(table, campaign_id, game_id, "Grog", said[-1])
            await asyncio.sleep(0.002)

    talking = asyncio.create_task(chatter())
    while not talking.done():  # each change makes the relay look up its routes again
        table.bot.dispatch("binding_changed", None, None)
        await asyncio.sleep(0.05)
    await talking
    await say(table, campaign_id, game_id, "Grog", "Sentinel.")
    await table.emu.wait_channel_message(
        table.channel, lambda m: (m.content or "").endswith("Sentinel."), timeout=20
    )
    relayed = [
        line
        for m in table.emu.channel_messages(table.channel)
        if m.source == "webhook"
        for line in (m.content or "").split("\n")
    ]
    assert relayed == [*said, "Sentinel."]
