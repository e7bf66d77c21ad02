"""Real-sized sheets imported through Discord reach the AI as compact summaries.

Through the Discord emulator, a real Core and the OpenAI emulator: a 163 KB
Foundry actor once reached the prompt as its first 2,000 characters of raw
JSON, so "what is my AC?" had no name and no stats to go on.
"""

from __future__ import annotations

import json

from core_client import Outbox
from tests.bot.cogs.test_campaign_commands import create_campaign, slash
from tests.bot.conftest import Table
from tests.core_client.sheets.test_summaries import FIXTURES
from tests.emulators.discord_models import EmuUser
from tests.emulators.llm_script import Answer
from tests.emulators.openai_api import OpenAIEmulator


async def import_sheet(table: Table, file: str, user: EmuUser | None = None) -> bytes:
    """Import a fixture sheet as `user`; return the file."""
    raw = (FIXTURES / file).read_bytes()
    inter = await slash(table, "character import", {"file": (file, raw)}, user=user)
    await inter.wait_response()
    imported = await inter.wait_followup()
    assert "Imported" in (imported.content or ""), imported.content
    return raw


async def import_and_play(table: Table, file: str, user: EmuUser | None = None) -> str:
    """Import a fixture sheet as `user` and play it; return its character id."""
    raw = await import_sheet(table, file, user)
    name = json.loads(raw).get("name") or json.loads(raw)["creatures"][0]["name"]
    choices = await table.emu.autocomplete(
        table.guild, table.channel, user or table.player, "character use", {"name": name[:5]},
        focused="name",
    )  # fmt: skip
    used = await (
        await slash(table, "character use", {"name": choices[0]["value"]}, user=user)
    ).wait_response()
    assert "You now play" in (used.content or "")
    return str(choices[0]["value"])


async def ask(table: Table, emulator: OpenAIEmulator, question: str) -> list[str]:
    """Ask the AI; return the lines of campaign data its prompt held."""
    emulator.queue(Answer("Your AC is 11.", prompt_tokens=300, completion_tokens=6))
    inter = await slash(table, "ask", {"question": question})
    await inter.wait_original(lambda m: "AC is 11" in (m.content or ""))
    prompt = "\n".join(str(m["content"]) for m in emulator.calls[-1].body["messages"])
    rows = prompt.split("\n")
    return rows[rows.index("<campaign_data>") + 1 : rows.index("</campaign_data>")]


async def test_the_ai_reads_the_asking_players_sheet_as_a_summary(
    table: Table, openai_emulator: tuple[OpenAIEmulator, str]
) -> None:
    emulator, _ = openai_emulator
    await create_campaign(table)
    await import_and_play(table, "foundry_wizard.json")
    data = await ask(table, emulator, "What is my AC?")
    mine = next(line for line in data if line.startswith("ASKING_PLAYER_CHARACTER "))
    character = json.loads(mine.partition(" ")[2])
    assert character["name"] == "Zanna (Gnome Wizard)"
    assert (character["ac"], character["hp"], character["classes"]) == (11, "8/8", "Wizard 1")
    assert "INT 17 (+3)" in character["abilities"]
    assert character["saves"]["int"] == 5
    assert "Magic Missile" in character["spells"]["level 1"]
    assert character["attacks"] == ["Quarterstaff +1 to hit, 1d6-1 bludgeoning"]
    assert "truncated" not in mine  # not a clipped fragment of the export...
    assert "dnd5eactivity" not in "\n".join(data)  # ...and nothing of the raw sheet
    assert len(mine) < 1_500


async def test_characters_come_asker_first_then_who_rolled_then_the_rest(
    table: Table, outbox: Outbox, openai_emulator: tuple[OpenAIEmulator, str]
) -> None:
    emulator, _ = openai_emulator
    await create_campaign(table)
    bob, cat = table.emu.add_user("bob", global_name="Bob"), table.emu.add_user("cat")
    for user in (bob, cat):
        table.emu.add_member(table.guild, user)
    await import_and_play(table, "foundry_wizard.json")
    await import_sheet(table, "roll20_ranger.json", user=cat)  # imported, not played
    await import_and_play(table, "dicecloud_cleric.json", user=bob)
    rolled = await (await slash(table, "roll", {"expression": "1d20+4"}, user=bob)).wait_response()
    assert rolled.embed is not None
    assert "Brannoc" in json.dumps(rolled.embed)  # rolled as his character
    assert await outbox.flush()
    data = await ask(table, emulator, "Who is hurt?")
    order = [
        (line.split(" ")[0], json.loads(line.partition(" ")[2]).get("name"))
        for line in data
        if "CHARACTER" in line.split(" ")[0]
    ]
    assert order == [
        ("ASKING_PLAYER_CHARACTER", "Zanna (Gnome Wizard)"),
        ("CHARACTER", "Brannoc Ashvale"),  # rolled recently
        ("CHARACTER", "Ysolde Marrow"),  # the rest
    ]
    kinds = [line.split(" ")[0] for line in data]
    assert kinds.index("CHARACTER") < kinds.index("ROLL") < len(kinds) - 1
    brannoc = json.loads(next(line for line in data if "Brannoc" in line).partition(" ")[2])
    assert (brannoc["hp"], brannoc["conditions"]) == ("29/38", ["poisoned"])
