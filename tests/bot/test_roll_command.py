"""`/roll` through the real discord.py client and the Discord emulator, into Core."""

from __future__ import annotations

import asyncio

from starlette.applications import Starlette

from core_client import Outbox
from tests.bot.cogs.test_campaign_commands import create_campaign
from tests.bot.conftest import Table, private_error
from tests.support.core import stored_rolls


async def test_roll_is_answered_with_an_embed_and_stored_in_core(
    table: Table, outbox: Outbox, core_app: Starlette
) -> None:
    assert "roll" in {c.name for c in table.emu.commands()}
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "roll", {"expression": "2d20kh1+5 Attack"}
    )
    response = await inter.wait_response()
    assert response.type == 4
    assert not response.late
    embed = response.embed
    assert embed is not None
    assert embed["title"] == "Alice rolls Attack"
    assert "2d20kh1" in embed["description"]
    assert "~~" in embed["description"]  # the lower d20 is shown dropped
    total_field = next(f for f in embed["fields"] if f["name"] == "Total")

    assert await outbox.flush()
    [roll] = await stored_rolls(core_app)
    assert roll.formula == "2d20kh1 + 5"
    assert roll.label == "Attack"
    assert roll.platform == "discord"
    assert roll.campaign_key == f"guild:{table.guild.id}"
    assert roll.actor_id == str(table.player.id)
    assert total_field["value"] == f"**{int(roll.total)}**"
    dice = roll.groups[0]["dice"]
    assert len(dice) == 2
    assert sorted(d["kept"] for d in dice) == [False, True]


async def test_bad_notation_gets_a_private_hint_and_nothing_is_stored(
    table: Table, outbox: Outbox, core_app: Starlette
) -> None:
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "roll", {"expression": "2d20+"}
    )
    response = await inter.wait_response()
    assert response.ephemeral
    assert "column" in (response.content or "").lower()
    assert "Traceback" not in (response.content or "")
    assert await outbox.flush()
    assert await stored_rolls(core_app) == []


async def test_roll_again_button_rolls_the_same_request(
    table: Table, outbox: Outbox, core_app: Starlette
) -> None:
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "roll", {"expression": "1d20+2", "repeat": 2}
    )
    response = await inter.wait_response()
    assert response.custom_ids == ["fb:roll:n:2:0:1d20+2"]
    bob = table.emu.add_user("bob", global_name="Bob")
    table.emu.add_member(table.guild, bob)
    click = await inter.click_button("fb:roll:n:2:0:1d20+2", user=bob)
    again = await click.wait_response()
    assert again.embed is not None
    assert again.embed["title"] == "Bob rolls 1d20 + 2 ×2"
    assert await outbox.flush()
    rolls = await stored_rolls(core_app)
    assert [r.actor_name for r in rolls].count("Bob") == 2
    assert len(rolls) == 4


async def test_stats_answers_with_odds_and_a_chart(table: Table, core_app: Starlette) -> None:
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "roll", {"expression": "2d6+3 stats"}
    )
    deferred = await inter.wait_response()
    assert deferred.type == 5
    followup = await inter.wait_followup()
    embed = followup.embeds[0]
    assert embed["title"] == "Odds of 2d6 + 3"
    fields = {f["name"]: f["value"] for f in embed["fields"]}
    assert fields == {"Mean": "10.00", "Std dev": "2.42", "Range": "5 – 15"}
    assert embed["image"]["url"] == "attachment://distribution.png"
    [chart] = followup.attachments
    assert chart.filename == "distribution.png"
    assert chart.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert await stored_rolls(core_app) == []  # odds are not a roll


async def test_odds_that_cannot_be_computed_are_told_privately(table: Table) -> None:
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "roll", {"expression": "1d1! stats"}
    )
    assert not (await inter.wait_response()).ephemeral  # a public defer: odds are shared
    followup = await private_error(table, inter)
    assert "Traceback" not in (followup.content or "")


async def test_private_roll_goes_to_the_roller_and_the_gm_only(
    table: Table, outbox: Outbox, core_app: Starlette
) -> None:
    await create_campaign(table)  # its GM is the one who created it
    player = table.emu.add_user("carol", global_name="Carol")
    table.emu.add_member(table.guild, player)
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, player, "roll", {"expression": "1d20", "private": True}
    )
    response = await inter.wait_response()
    assert response.ephemeral
    gm_dm = table.emu.dm_channel(table.player)
    message = await table.emu.wait_channel_message(gm_dm)
    link = f"https://discord.com/channels/{table.guild.id}/{table.channel.id}"
    assert message.content == f"Private roll by Carol in #table of Friday Game: {link}"
    assert message.embeds[0]["title"] == "Carol rolls 1d20"
    assert [
        m for m in table.emu.channel_messages(table.channel) if m.interaction_id == inter.id
    ] == []
    assert await outbox.flush()
    [roll] = await stored_rolls(core_app)
    assert roll.visibility == "private"


async def test_a_private_roll_without_a_campaign_reaches_no_one_else(table: Table) -> None:
    player = table.emu.add_user("carol", global_name="Carol")
    table.emu.add_member(table.guild, player)
    done = asyncio.ensure_future(table.bot.wait_for("app_command_completion", timeout=5))
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, player, "roll", {"expression": "1d20", "private": True}
    )
    assert (await inter.wait_response()).ephemeral
    finished, _command = await done  # the command ran to its end, DMs included
    assert finished.id == inter.id
    # The server owner is not a GM without a campaign: nothing goes their way.
    assert table.emu.channel_messages(table.emu.dm_channel(table.player)) == []
    assert table.emu.requests_for("create_dm") == []


async def test_advantage_rewrites_the_first_d20(table: Table) -> None:
    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "roll",
        {"expression": "1d20+5", "advantage": "advantage"},
    )  # fmt: skip
    response = await inter.wait_response()
    assert response.embed is not None
    assert "2d20kh1" in response.embed["description"]


async def test_a_roll_made_playing_a_character_carries_it_to_discord_and_core(
    table: Table, outbox: Outbox, core_app: Starlette
) -> None:
    campaign_id = await create_campaign(table)
    core = table.bot.core
    # Two of the same name: only the id tells Core which one was played.
    await core.create_character(campaign_id, name="Vex", stats={"ac": 16})
    vex = await core.create_character(campaign_id, name="Vex", stats={"ac": 17})
    use = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "character use", {"name": vex["id"]}
    )
    assert "You now play **Vex**" in ((await use.wait_response()).content or "")

    inter = await table.emu.invoke_slash(
        table.guild, table.channel, table.player, "roll", {"expression": "1d20+7 Stealth"}
    )
    response = await inter.wait_response()
    assert response.embed is not None
    assert response.embed["title"] == "Vex rolls Stealth"
    assert await outbox.flush()
    [roll] = await stored_rolls(core_app)
    assert (roll.character_name, str(roll.character_id)) == ("Vex", vex["id"])
    assert roll.actor_name == "Alice"  # the player is still known
