"""`/roll 1d20+$dex` and `[[1d20+@{strength_mod}]]` read the player's character, through Discord.

The character is a real-sized Roll20 OGL export imported with `/character
import` and chosen with `/character use`; its stats come from the summary
Core derived from it (dex +4, strength +1, stealth +7).
"""

from __future__ import annotations

from starlette.applications import Starlette

from core_client import Outbox
from tests.bot.cogs.test_campaign_commands import create_campaign, slash
from tests.bot.cogs.test_character_summaries import import_and_play
from tests.bot.conftest import Table
from tests.support.core import stored_rolls


async def test_a_roll_naming_a_stat_rolls_the_characters_value(
    table: Table, outbox: Outbox, core_app: Starlette
) -> None:
    await create_campaign(table)
    character_id = await import_and_play(table, "roll20_ranger.json")
    inter = await slash(table, "roll", {"expression": "1d20+$dex Stealth"})
    response = await inter.wait_response()
    assert response.embed is not None
    assert response.embed["title"] == "Ysolde Marrow rolls Stealth"
    assert ") + 4 = " in response.embed["description"]  # 1d20 (n) + 4 = total
    assert "$dex" not in str(response.embed)
    again = await (
        await slash(table, "roll", {"expression": "1d20+@{stealth_bonus}"})
    ).wait_response()
    assert again.embed is not None
    assert ") + 7 = " in again.embed["description"]
    assert await outbox.flush()
    rolls = await stored_rolls(core_app)
    assert [r.formula for r in rolls] == ["1d20 + 4", "1d20 + 7"]
    assert {(str(r.character_id), r.character_name) for r in rolls} == {
        (character_id, "Ysolde Marrow")
    }


async def test_an_unknown_stat_is_a_private_error_listing_the_names_there_are(
    table: Table, outbox: Outbox, core_app: Starlette
) -> None:
    await create_campaign(table)
    await import_and_play(table, "roll20_ranger.json")
    inter = await slash(table, "roll", {"expression": "1d20+$luck"})
    response = await inter.wait_response()
    assert (response.type, response.ephemeral) == (4, True)  # the first reply, private
    content = response.content or ""
    assert content.startswith("⚠️ $luck is not a stat of Ysolde Marrow. Known: ")
    assert "Known: " in content
    for name in ("dex", "str_save", "stealth", "ac"):
        assert name in content
    assert len(content) <= 2000
    public = [m for m in table.emu.channel_messages(table.channel) if m.interaction_id == inter.id]
    assert public == []
    assert await outbox.flush()
    assert await stored_rolls(core_app) == []


async def test_a_stat_without_a_character_says_to_choose_one(table: Table) -> None:
    await create_campaign(table)
    response = await (await slash(table, "roll", {"expression": "1d20+$dex"})).wait_response()
    assert (response.type, response.ephemeral) == (4, True)
    assert "/character use" in (response.content or "")


async def test_odds_of_a_roll_naming_a_stat_are_refused_privately_before_deferring(
    table: Table,
) -> None:
    await create_campaign(table)
    response = await (await slash(table, "roll", {"expression": "1d20+$dex stats"})).wait_response()
    assert (response.type, response.ephemeral) == (4, True)
    assert "/character use" in (response.content or "")


async def test_an_inline_roll_naming_a_stat_uses_the_authors_character(
    table: Table, outbox: Outbox, core_app: Starlette
) -> None:
    await create_campaign(table)
    character_id = await import_and_play(table, "roll20_ranger.json")
    await table.emu.post_message(
        table.channel, table.player, "I climb [[1d20+@{strength_mod}]] for $5 of rope"
    )
    reply = await table.emu.wait_channel_message(
        table.channel, lambda m: (m.content or "").startswith("I climb **")
    )
    assert "• 1d20 (" in (reply.content or "")
    assert "for $5 of rope" in (reply.content or "")  # prose is left alone
    assert await outbox.flush()
    [roll] = await stored_rolls(core_app)
    assert roll.formula == "1d20 + 1"
    assert (str(roll.character_id), roll.character_name) == (character_id, "Ysolde Marrow")
