"""Campaign, session, character, stats and link commands through the emulator and a real Core."""

from __future__ import annotations

import json
import time
from dataclasses import replace

from starlette.applications import Starlette

from core_client import CoreClient, Outbox
from tests.bot.conftest import Table, private_error
from tests.core_client.dice.scripted import ScriptedRng
from tests.emulators.discord_interactions import EmuInteraction
from tests.support.core import stored_rolls

FOUNDRY_ACTOR = {
    "name": "Vex'ahlia",
    "type": "character",
    "system": {
        "attributes": {"hp": {"value": 31, "max": 40}, "ac": {"value": 16}},
        "abilities": {"dex": {"value": 18}, "wis": {"value": 14}},
    },
}


async def slash(table: Table, command: str, options: dict[str, object] | None = None,
                user: object | None = None, **kwargs: object) -> EmuInteraction:  # fmt: skip
    return await table.emu.invoke_slash(
        table.guild, table.channel, user or table.player, command, options or {}, **kwargs
    )


async def create_campaign(table: Table, name: str = "Curse of Strahd") -> str:
    inter = await slash(table, "campaign create", {"name": name})
    assert (await inter.wait_response()).type == 5  # deferred: Core is called first
    followup = await inter.wait_followup()
    assert name in (followup.content or "")
    assert followup.embeds[0]["footer"]["text"] == f"Campaign: {name}"  # not its raw id
    [link] = await table.bot.core.game_links(discord_channel_id=str(table.channel.id))
    return str(link["campaign_id"])


async def test_campaign_create_binds_the_channel(table: Table, core_client: CoreClient) -> None:
    campaign_id = await create_campaign(table)
    campaign = await core_client.get_campaign(campaign_id)
    assert campaign["guild_id"] == str(table.guild.id)
    assert campaign["settings"]["gm_discord_id"] == str(table.player.id)
    [link] = await core_client.game_links(discord_channel_id=str(table.channel.id))
    assert link["campaign_id"] == campaign_id

    info = await (await slash(table, "campaign info")).wait_response()
    assert info.ephemeral
    assert info.embed is not None
    assert info.embed["title"] == "Curse of Strahd"


async def test_campaign_create_is_refused_without_manage_server(
    table: Table, core_client: CoreClient
) -> None:
    bob = table.emu.add_user("bob")
    table.emu.add_member(table.guild, bob)
    response = await (
        await slash(table, "campaign create", {"name": "Mine"}, user=bob)
    ).wait_response()
    assert response.ephemeral
    assert "Only the GM" in (response.content or "")
    assert (await core_client.list_campaigns(guild_id=str(table.guild.id)))["campaigns"] == []


async def test_commands_in_an_unbound_channel_say_how_to_bind(table: Table) -> None:
    response = await (await slash(table, "session start")).wait_response()
    assert response.ephemeral
    assert "/campaign create" in (response.content or "")


async def test_session_lifecycle_keeps_notes_in_core(table: Table, core_client: CoreClient) -> None:
    campaign_id = await create_campaign(table)
    started = await (await slash(table, "session start", {"title": "The Crypt"})).wait_response()
    assert "The Crypt" in (started.content or "")
    again = await (await slash(table, "session start")).wait_response()
    assert "already running" in (again.content or "")
    noted = await (await slash(table, "session note", {"text": "Found the amulet"})).wait_response()
    assert noted.ephemeral
    ended = await (await slash(table, "session end")).wait_response()
    assert "1 note" in (ended.content or "")
    [session] = await core_client.sessions(campaign_id)
    assert session["ended_at"] is not None
    assert [n["text"] for n in session["notes"]] == ["Found the amulet"]


async def test_character_import_show_and_use(table: Table, core_client: CoreClient) -> None:
    campaign_id = await create_campaign(table)
    inter = await slash(
        table,
        "character import",
        {"file": ("vex.json", json.dumps(FOUNDRY_ACTOR).encode())},
    )
    await inter.wait_response()
    imported = await inter.wait_followup()
    assert "Vex'ahlia" in (imported.content or "")
    fields = {f["name"]: f["value"] for f in imported.embeds[0]["fields"]}
    assert fields["HP"] == "31 / 40"
    assert fields["AC"] == "16"

    choices = await table.emu.autocomplete(
        table.guild, table.channel, table.player, "character use", {"name": "vex"}, focused="name"
    )
    assert [c["name"] for c in choices] == ["Vex'ahlia"]
    used = await (
        await slash(table, "character use", {"name": choices[0]["value"]})
    ).wait_response()
    assert "You now play" in (used.content or "")
    campaign = await core_client.get_campaign(campaign_id)
    assert campaign["settings"]["active_characters"] == {str(table.player.id): choices[0]["value"]}
    character = await core_client.get_character(choices[0]["value"])
    assert character["foundry_json"]["name"] == "Vex'ahlia"
    assert character["owner_user_id"] is not None


async def test_bad_character_file_gets_a_clear_message(table: Table) -> None:
    await create_campaign(table)
    inter = await slash(table, "character import", {"file": ("x.json", b"{not json")})
    assert not (await inter.wait_response()).ephemeral  # a public defer
    followup = await private_error(table, inter)
    assert "not JSON" in (followup.content or "")


async def test_an_oversized_sheet_is_refused_before_any_public_defer(table: Table) -> None:
    await create_campaign(table)
    huge = ("huge.json", b" " * 2_000_001)
    response = await (await slash(table, "character import", {"file": huge})).wait_response()
    assert (response.type, response.ephemeral) == (4, True)  # the first reply, private
    assert "too large" in (response.content or "")


async def test_stats_answers_are_my_dice_cursed(table: Table, outbox: Outbox) -> None:
    await create_campaign(table)
    for _ in range(3):
        inter = await slash(table, "roll", {"expression": "1d20"})
        await inter.wait_response()
    assert await outbox.flush()
    inter = await slash(table, "stats")
    await inter.wait_response()
    answer = await inter.wait_followup()
    fields = {f["name"]: f["value"] for f in answer.embeds[0]["fields"]}
    assert fields["Rolls"] == "3"
    assert fields["Are my dice cursed?"].startswith("too few d20 rolls to tell (3;")
    assert "p =" not in fields["Are my dice cursed?"]  # a p-value of 3 rolls means nothing
    assert "3 rolled" in fields["d20s"]


async def test_link_gives_a_one_time_code_and_unlink_revokes(table: Table) -> None:
    await create_campaign(table)
    response = await (await slash(table, "link")).wait_response()
    assert response.ephemeral
    assert "within in" not in (response.content or "")
    assert "It works once and expires <t:" in (response.content or "")
    code = (response.content or "").split("`")[1]
    from bridge.links import link

    token, grant = await link(
        table.store, table.bus, table.bot.reporter, code=code, platform="roll20", player_id="-P1"
    )
    assert grant.user_id == str(table.player.id)
    unlinked = await (await slash(table, "unlink")).wait_response()
    assert "Unlinked 1 extension" in (unlinked.content or "")
    assert token


async def test_link_codes_live_as_long_as_configured(table: Table) -> None:
    await create_campaign(table)
    table.bot.settings = replace(table.bot.settings, pairing_code_seconds=30.0)
    response = await (await slash(table, "link")).wait_response()
    expires = int((response.content or "").split("<t:")[1].split(":")[0])
    # 30 s from now, not the 600 s default; the slack is for a slow box, not a timing.
    assert 0 < expires - time.time() <= 31


async def test_roll_verdict_follows_the_campaigns_crit_rules(
    table: Table, core_client: CoreClient, core_app: Starlette, outbox: Outbox
) -> None:
    campaign_id = await create_campaign(table)
    table.bot.rng = ScriptedRng(19, 19)  # type: ignore[assignment]
    plain = await (await slash(table, "roll", {"expression": "1d20"})).wait_response()
    assert plain.embed is not None
    assert "Result" not in {f["name"] for f in plain.embed["fields"]}  # 19 is no crit by default

    await core_client.set_crit_preset(campaign_id, "crit-range-19", enabled=True)
    table.bot.channels.clear()  # what the directory's TTL does within a minute
    ruled = await (await slash(table, "roll", {"expression": "1d20"})).wait_response()
    assert ruled.embed is not None
    fields = {f["name"]: f["value"] for f in ruled.embed["fields"]}
    assert fields["Result"] == "Critical!"
    assert await outbox.flush()
    assert [r.crit for r in await stored_rolls(core_app)] == [False, True]


async def test_bind_with_autocomplete_then_unbind(table: Table, core_client: CoreClient) -> None:
    campaign_id = await create_campaign(table, "Rime of the Frostmaiden")
    other = table.emu.add_text_channel(table.guild, name="vtt-table")
    choices = await table.emu.autocomplete(
        table.guild, other, table.player, "campaign bind", {"campaign": "rime"}, focused="campaign"
    )
    assert choices == [{"name": "Rime of the Frostmaiden", "value": campaign_id}]
    inter = await table.emu.invoke_slash(
        table.guild,
        other,
        table.player,
        "campaign bind",
        {"campaign": campaign_id, "platform": "foundry", "game_id": "world-1", "sync_chat": False},
    )
    await inter.wait_response()
    bound = await inter.wait_followup()
    fields = {f["name"]: f["value"] for f in bound.embeds[0]["fields"]}
    assert fields["VTT game"] == "foundry · `world-1`"
    assert fields["Sync"] == "chat off · rolls on"
    [link] = await core_client.game_links(discord_channel_id=str(other.id))
    assert (link["platform"], link["vtt_game_id"], link["sync_chat"]) == (
        "foundry",
        "world-1",
        False,
    )

    unbind = await table.emu.invoke_slash(table.guild, other, table.player, "campaign unbind", {})
    assert "no longer linked" in ((await unbind.wait_response()).content or "")
    assert await core_client.game_links(discord_channel_id=str(other.id)) == []


async def test_character_list_and_show(table: Table, core_client: CoreClient) -> None:
    campaign_id = await create_campaign(table)
    await core_client.create_character(campaign_id, name="Grog", stats={"hp": 90, "ac": 17})
    listed = await (await slash(table, "character list")).wait_response()
    assert listed.embed is not None
    assert "Grog" in listed.embed["description"]
    shown = await (await slash(table, "character show", {"name": "grog"})).wait_response()
    assert shown.embed is not None
    assert {f["name"]: f["value"] for f in shown.embed["fields"]} == {"HP": "90", "AC": "17"}
    missing = await (await slash(table, "character show", {"name": "Pike"})).wait_response()
    assert missing.ephemeral
    assert "No character called 'Pike'" in (missing.content or "")


DICECLOUD_EXPORT = {
    "creatures": [{"_id": "c1", "name": "Pike Trickfoot"}],
    "creatureProperties": [
        {"type": "attribute", "variableName": "hitPoints", "total": 28, "value": 30},
        {"type": "attribute", "variableName": "armor", "total": 18},
        {"type": "attribute", "variableName": "wisdom", "total": 16},
        {"type": "note", "name": "Sarenrae's grace"},
    ],
}


async def test_a_dicecloud_sheet_is_stored_in_core_as_dicecloud(
    table: Table, core_client: CoreClient
) -> None:
    # Core's Platform once lacked "dicecloud", so every DiceCloud import failed.
    campaign_id = await create_campaign(table)
    inter = await slash(
        table,
        "character import",
        {"file": ("pike.json", json.dumps(DICECLOUD_EXPORT).encode())},
    )
    await inter.wait_response()
    imported = await inter.wait_followup()
    assert "Pike Trickfoot" in (imported.content or "")
    [character] = (await core_client.campaign_context(campaign_id))["characters"]
    assert character["source_platform"] == "dicecloud"
    assert character["source_json"] == DICECLOUD_EXPORT
    assert character["stats"] == {"hp": 28, "ac": 18, "abilities": {"wis": 16}}
