"""`fumblebot invite`: the scopes and permissions asked for are exactly those the bot uses."""

from __future__ import annotations

import asyncio
import base64
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import pytest

from bot import invite
from bot.cogs.relay import RelayCog
from bot.errors import ConfigError
from bridge.events import Origin, chat_event, game_topic
from core_client import CoreClient
from tests.bot.conftest import Table
from tests.bot.test_cli import fumblebot
from tests.support.fumblebot_process import env_for

APP_ID = 1234567890123456789


def token_for(app_id: int) -> str:
    """Return a token shaped like Discord's: base64 of the id, a timestamp, an HMAC."""
    head = base64.b64encode(str(app_id).encode()).decode().rstrip("=")
    return f"{head}.GhIjKl.{'x' * 38}"


def test_the_url_asks_for_the_two_scopes_and_the_listed_permissions() -> None:
    url = urlsplit(invite.invite_url(APP_ID))
    query = parse_qs(url.query)
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://discord.com/oauth2/authorize"
    assert query["client_id"] == [str(APP_ID)]
    assert query["scope"] == ["bot applications.commands"]
    # View Channel, Send Messages, Read Message History, Manage Webhooks; nothing else.
    assert int(query["permissions"][0]) == (1 << 10) | (1 << 11) | (1 << 16) | (1 << 29)


def test_the_application_id_is_read_from_the_token() -> None:
    assert invite.application_id_from_token(token_for(APP_ID)) == APP_ID
    with pytest.raises(ConfigError, match="does not look like a bot token"):
        invite.application_id_from_token("not-a-token")


async def test_invite_prints_the_url_for_the_configured_token(tmp_path: Path) -> None:
    env = env_for(tmp_path, FUMBLEBOT_DISCORD_TOKEN=token_for(APP_ID))
    code, out, err = await fumblebot(["invite"], env)
    assert code == 0, err
    assert out.strip() == invite.invite_url(APP_ID)
    assert "Manage Webhooks" in err  # each permission is explained


async def test_invite_without_a_token_or_id_says_what_to_pass(tmp_path: Path) -> None:
    code, out, err = await fumblebot(["invite"], env_for(tmp_path))
    assert code == 2
    assert out == ""
    assert err.strip().count("\n") == 0
    assert "--application-id" in err
    code, out, _ = await fumblebot(["invite", "--application-id", "42"], env_for(tmp_path))
    assert (code, out.strip()) == (0, invite.invite_url(42))


async def test_the_bot_works_with_only_the_invites_permissions(
    table: Table, core_client: CoreClient
) -> None:
    emu = table.emu
    guild = emu.add_guild(
        "Bare Server", owner=table.player, bot_permissions=invite.permission_bits(),
        everyone_permissions=0,
    )  # fmt: skip
    channel = emu.add_text_channel(guild, name="table")
    created = await emu.invoke_slash(guild, channel, table.player, "campaign create",
                                     {"name": "Bare"})  # fmt: skip
    await created.wait_response()
    await created.wait_followup()
    [link] = await core_client.game_links(discord_channel_id=str(channel.id))
    campaign_id = link["campaign_id"]
    await emu.post_message(channel, table.player, "I attack [[1d20+5]]")
    await emu.wait_channel_message(channel, lambda m: (m.content or "").startswith("I attack **"))
    relay = table.bot.get_cog("RelayCog")
    assert isinstance(relay, RelayCog)
    topic = game_topic(campaign_id, link["id"])
    for _ in range(200):  # the relay resubscribes after the new binding
        if relay.follows(topic):
            break
        await asyncio.sleep(0.02)
    data = chat_event(campaign_id, link["id"], Origin("roll20", user_name="Grog"),
                      speaker="Grog", text="I rage!")  # fmt: skip
    await table.bus.publish(topic, "chat", data)
    relayed = await emu.wait_channel_message(channel, lambda m: m.content == "I rage!")
    assert relayed.username == "Grog (Roll20)"
    assert [r for r in emu.state.requests if r.status == 403] == []


def test_the_readme_lists_the_same_permissions_as_the_invite() -> None:
    readme = (Path(__file__).parents[2] / "README.md").read_text()
    section = readme.split("### Set up the Discord application")[1].split("\n## ")[0]
    rows = {line.split("|")[1].strip() for line in section.splitlines() if line.startswith("   |")}
    assert rows - {"Permission", "---"} == set(invite.PERMISSIONS)
