"""Inline rolls, the VTT relay, /ic say and /ask through the emulator and a real Core."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import select
from starlette.applications import Starlette

from bot.cogs.relay import RelayCog
from bridge.events import Origin, chat_event, game_topic, roll_event
from bridge.formats import RollContext, convert
from core_client import ChatMessage, CoreClient, Outbox, Platform
from storage.models import AiUsage
from tests.bot.cogs.test_campaign_commands import FOUNDRY_ACTOR, create_campaign, slash
from tests.bot.conftest import Table, private_error
from tests.emulators.llm_script import Answer, Fault
from tests.emulators.openai_api import OpenAIEmulator
from tests.support.core import stored_rolls

FIXTURES = Path(__file__).parents[2] / "bridge" / "fixtures"


async def bound(table: Table, core_client: CoreClient) -> tuple[str, str]:
    campaign_id = await create_campaign(table)
    [link] = await core_client.game_links(discord_channel_id=str(table.channel.id))
    return campaign_id, link["id"]


async def test_inline_rolls_are_answered_reported_and_sent_to_the_vtt(
    table: Table, core_client: CoreClient, outbox: Outbox, core_app: Starlette
) -> None:
    campaign_id, game_id = await bound(table, core_client)
    async with table.bus.subscribe([game_topic(campaign_id, game_id)]) as sub:
        await table.emu.post_message(table.channel, table.player, "I swing [[1d20+5]] at it")
        reply = await table.emu.wait_channel_message(
            table.channel, lambda m: (m.content or "").startswith("I swing **")
        )
        assert "• 1d20 (" in (reply.content or "")
        kinds = [(await asyncio.wait_for(sub.queue.get(), 5)).type for _ in range(2)]
    assert sorted(kinds) == ["chat", "roll"]
    assert await outbox.flush()
    [roll] = await stored_rolls(core_app)
    assert roll.formula == "1d20 + 5"
    assert str(roll.campaign_id) == campaign_id


async def test_vtt_chat_reaches_the_channel_through_a_webhook_despite_a_429(
    table: Table, core_client: CoreClient
) -> None:
    campaign_id, game_id = await bound(table, core_client)
    relay = table.bot.get_cog("RelayCog")
    assert isinstance(relay, RelayCog)
    table.emu.inject_rate_limit("POST", "/webhooks/{webhook_id}/{webhook_token}", retry_after=0.2)
    for _ in range(100):  # the relay resubscribes after the new binding
        if relay.follows(game_topic(campaign_id, game_id)):
            break
        await asyncio.sleep(0.02)
    origin = Origin("roll20", user_id="-P1", user_name="Grog")
    for text in ("I rage!", "And I attack the nearest goblin."):
        data = chat_event(campaign_id, game_id, origin, speaker="Grog", text=text)
        await table.bus.publish(game_topic(campaign_id, game_id), "chat", data)
    message = await table.emu.wait_channel_message(
        table.channel, lambda m: m.username is not None and "Grog" in m.username
    )
    assert message.username == "Grog (Roll20)"
    assert message.content == "I rage!\nAnd I attack the nearest goblin."  # one coalesced post
    hidden = chat_event(campaign_id, game_id, origin, speaker="Grog", text="psst", gm_only=True)
    await table.bus.publish(game_topic(campaign_id, game_id), "chat", hidden)
    dm = await table.emu.wait_channel_message(table.emu.dm_channel(table.player))
    assert "psst" in (dm.content or "")
    assert all("psst" not in (m.content or "") for m in table.emu.channel_messages(table.channel))


async def test_ic_say_speaks_as_the_active_character(table: Table, core_client: CoreClient) -> None:
    campaign_id = await create_campaign(table)
    character = await core_client.create_character(campaign_id, name="Vex'ahlia")
    used = await (await slash(table, "character use", {"name": character["id"]})).wait_response()
    assert "You now play" in (used.content or "")
    inter = await slash(table, "ic say", {"text": "Trinket, to me!"})
    await inter.wait_response()
    assert "Said as" in ((await inter.wait_followup()).content or "")
    posted = await table.emu.wait_channel_message(
        table.channel, lambda m: m.username == "Vex'ahlia"
    )
    assert posted.content == "Trinket, to me!"


async def test_ask_streams_an_answer_from_campaign_context_and_reports_usage(
    table: Table,
    core_client: CoreClient,
    outbox: Outbox,
    openai_emulator: tuple[OpenAIEmulator, str],
    core_app: Starlette,
) -> None:
    emulator, _ = openai_emulator
    campaign_id = await create_campaign(table)
    await core_client.create_character(
        campaign_id, name="Vex'ahlia", stats={"hp": 31}, foundry_json=FOUNDRY_ACTOR
    )
    emulator.queue(Answer("Vex has 31 hit points left.", prompt_tokens=120, completion_tokens=9))
    inter = await slash(table, "ask", {"question": "How hurt is Vex?"})
    assert (await inter.wait_response()).type == 5
    original = await inter.wait_original(lambda m: "31 hit points" in (m.content or ""))
    assert original.content == "Vex has 31 hit points left."
    [call] = emulator.calls
    prompt = "\n".join(str(m["content"]) for m in call.body["messages"])
    assert "Vex'ahlia" in prompt
    assert '"hp": 31' in prompt
    assert '"asking_player": "Alice"' in prompt
    assert '"gm": "Alice"' in prompt
    assert await outbox.flush()
    async with core_app.state.sessions() as session:
        usage = (await session.scalars(select(AiUsage))).one()
    assert (usage.prompt_tokens, usage.completion_tokens) == (120, 9)


async def test_the_ai_reads_names_never_discord_ids(
    table: Table, outbox: Outbox, openai_emulator: tuple[OpenAIEmulator, str]
) -> None:
    emulator, _ = openai_emulator
    await create_campaign(table)
    await (await slash(table, "roll", {"expression": "1d20+2 Stealth"})).wait_response()
    assert await outbox.flush()
    emulator.queue(Answer("You rolled for stealth.", prompt_tokens=10, completion_tokens=4))
    inter = await slash(table, "ask", {"question": "What did I roll?"})
    await inter.wait_original(lambda m: "stealth" in (m.content or ""))
    prompt = "\n".join(str(m["content"]) for m in emulator.calls[0].body["messages"])
    assert '"label": "Stealth"' in prompt  # the roll is there...
    assert '"actor_name": "Alice"' in prompt  # ...by name
    for discord_id in (table.player.id, table.guild.id, table.channel.id, inter.id):
        assert str(discord_id) not in prompt


async def test_ask_without_a_campaign_says_how_to_bind(table: Table) -> None:
    response = await (await slash(table, "ask", {"question": "Who am I?"})).wait_response()
    assert response.ephemeral
    assert "not linked to a campaign" in (response.content or "")


async def test_recap_summarises_the_last_session(
    table: Table, core_client: CoreClient, openai_emulator: tuple[OpenAIEmulator, str]
) -> None:
    emulator, _ = openai_emulator
    campaign_id = await create_campaign(table)
    await (await slash(table, "session start", {"title": "The Crypt"})).wait_response()
    await (await slash(table, "session note", {"text": "The lich fled north"})).wait_response()
    line = ChatMessage(campaign_id, Platform.ROLL20, "I follow the lich!", author_name="Grog")
    await core_client.deliver([line.event()])  # from a VTT
    emulator.queue(Answer("Last time, the lich fled north.", prompt_tokens=50, completion_tokens=8))
    inter = await slash(table, "recap")
    await inter.wait_response()
    original = await inter.wait_original(lambda m: "lich" in (m.content or ""))
    assert original.content == "Last time, the lich fled north."
    prompt = "\n".join(str(m["content"]) for m in emulator.calls[0].body["messages"])
    assert "The lich fled north" in prompt
    assert '"author_name": "Grog"' in prompt  # the chat Core holds, not "chat": []
    assert "I follow the lich!" in prompt


async def test_ask_when_the_provider_fails_says_so_plainly(
    table: Table, openai_emulator: tuple[OpenAIEmulator, str]
) -> None:
    emulator, _ = openai_emulator
    await create_campaign(table)
    emulator.queue(Fault(500), Fault(500), Fault(500))
    inter = await slash(table, "ask", {"question": "Anything?"})
    assert not (await inter.wait_response()).ephemeral  # a public question
    failure = await private_error(table, inter)  # ...but the failure is the asker's
    assert "is failing (HTTP 500)" in (failure.content or "")
    assert "try again" in (failure.content or "")


async def test_a_private_vtt_roll_goes_to_the_gm_not_the_channel(
    table: Table, core_client: CoreClient
) -> None:
    campaign_id, game_id = await bound(table, core_client)
    relay = table.bot.get_cog("RelayCog")
    assert isinstance(relay, RelayCog)
    for _ in range(100):  # the relay resubscribes after the new binding
        if relay.follows(game_topic(campaign_id, game_id)):
            break
        await asyncio.sleep(0.02)
    # A Foundry whisper to the GM names no Discord user: `audience.users` is [].
    whisper = json.loads((FIXTURES / "foundry_chat_message.json").read_text())
    records = convert("foundry.chat_message", whisper, RollContext(campaign_id, game_id))
    origin = Origin("foundry", user_id="u1Fo0", user_name="Mira")
    for record in records:
        data = roll_event(record, origin, game_id=game_id)
        assert list(data["audience"]["users"]) == []
        await table.bus.publish(game_topic(campaign_id, game_id), "roll", data)
    dm = await table.emu.wait_channel_message(table.emu.dm_channel(table.player))
    assert "Mira" in (dm.content or "")
    assert all("Mira" not in (m.content or "") for m in table.emu.channel_messages(table.channel))
