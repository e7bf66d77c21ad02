"""What Core accepts, it serves back unchanged from every read, alike on SQLite and PostgreSQL.

Each value sits at a bound the contract allows: the longest name, label,
chat line and note, in astral-plane characters (four UTF-8 bytes each), raw
JSON holding integers of ±(2**63 - 1), a huge float and
control characters, and AI token totals past 2**31 - 1. Written through the
signed webhook and the query API, each is read back through every read that
shows it; one past a bound is refused with 422 naming the field, on both
databases the same.
"""

from __future__ import annotations

from typing import Any

import httpx2

from core_client import (
    AiProvider,
    AiUsage,
    CampaignUpserted,
    ChatMessage,
    CoreClient,
    Platform,
    SessionNote,
    SessionStarted,
)
from core_client.contract.scalars import MAX_COUNT, MAX_INT, MAX_LONG_TEXT, MAX_NAME, MAX_TEXT
from tests.support.core import d20_roll


def _fill(pattern: str, size: int) -> str:
    return (pattern * size)[:size]


NAME = _fill("🐉Ωé\u200d𝔸", MAX_NAME)
LABEL = _fill('d20 ✨ "quoted" \\ back\t', MAX_TEXT)
TEXT = _fill("Ж🎲 a line\n", MAX_LONG_TEXT)
RAW: dict[str, Any] = {
    "ключ": "значение 🐉",
    "largest": MAX_INT,
    "smallest": -MAX_INT,
    "huge": 1.5e300,
    "nested": [[{"none": None, "yes": True}]],
    "empty": "",
    "control": "\t\r\u0001\u001f",
}
STATS: dict[str, Any] = {"hp": MAX_INT, "ünïcødé 🐉": {"list": [1, -1, 0.5]}}


async def _world(core_client: CoreClient) -> str:
    roll = d20_roll(20, "guild:rt", character=NAME)
    roll.data.update(label=LABEL, raw=RAW, actor_name=NAME)
    usage = [
        AiUsage(
            AiProvider.OPENAI,
            "gpt",
            MAX_COUNT,
            MAX_COUNT,
            user_discord_id="4242",
            campaign_id="guild:rt",
        ).event()
        for _ in range(2)
    ]
    receipt = await core_client.deliver(
        [
            CampaignUpserted(key="guild:rt", name=NAME, settings=RAW).event(),
            roll,
            ChatMessage("guild:rt", Platform.DISCORD, TEXT, author_name=NAME).event(),
            SessionStarted("rt-1", "guild:rt", title=NAME).event(),
            SessionNote("rt-1", TEXT, author=NAME).event(),
            *usage,
        ]
    )
    assert receipt.accepted == 7
    campaign = await core_client.campaign_by_key("guild:rt")
    assert campaign is not None
    return campaign["id"]


async def test_every_accepted_value_reads_back_the_same_from_every_read(
    core_client: CoreClient,
) -> None:
    campaign_id = await _world(core_client)
    made = await core_client.create_character(campaign_id, name=NAME, stats=STATS, source_json=RAW)
    assert await core_client.get_character(made["id"]) == made
    assert (made["name"], made["stats"], made["source_json"]) == (NAME, STATS, RAW)

    (roll,) = (await core_client.rolls())["rolls"]
    assert (roll["label"], roll["raw"], roll["character_name"]) == (LABEL, RAW, NAME)
    assert roll["actor_name"] == NAME

    context = await core_client.campaign_context(campaign_id)
    assert context["campaign"]["name"] == NAME
    assert context["campaign"]["settings"] == RAW
    assert context["recent_rolls"] == [roll]
    assert [c["name"] for c in context["characters"]] == [NAME]
    session = context["open_session"]
    assert session is not None
    assert session["title"] == NAME
    assert [(n["text"], n["author"]) for n in session["notes"]] == [(TEXT, NAME)]

    (chat,) = (await core_client.chat())["chat"]
    assert (chat["text"], chat["author_name"]) == (TEXT, NAME)

    feed = (await core_client.changes())["changes"]
    names = [c["diff"].get("name") for c in feed if c["entity"] in ("campaign", "character")]
    assert names.count(NAME) >= 2, feed

    totals = await core_client.usage_totals(0, user_discord_id="4242")
    assert totals["user_tokens"] == 4 * MAX_COUNT  # past 2**31 - 1 on both databases


async def test_one_past_a_bound_is_422_naming_the_field_on_every_database(
    core_http: httpx2.AsyncClient, core_api_key: str
) -> None:
    auth = {"authorization": f"Bearer {core_api_key}"}
    cases = [
        ({"name": NAME + "x"}, "name"),
        ({"name": "C", "external_key": "k" * 201}, "external_key"),
        ({"name": "C", "guild_id": "1" * 33}, "guild_id"),
    ]
    for body, field in cases:
        response = await core_http.post("/campaigns", json=body, headers=auth)
        assert response.status_code == 422, (body, response.text)
        assert response.json()["error"]["field"] == field
