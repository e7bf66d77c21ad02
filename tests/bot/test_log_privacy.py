"""At INFO, no log line holds what players wrote, nor a bound SQL parameter.

A real flow runs with every logger captured at INFO: reports signed to
Core's webhook (a campaign, a character, a labelled roll, chat, a session
note) through the outbox, a question to the service's `/ai/chat` answered
by the OpenAI emulator, reads of the query API, and a refused write. Each
user string is distinctive, so finding any of it in a log line fails the
test. It runs once with `echo_sql` on: SQL statements are logged then (a
control that the capture sees the database layer), their parameters never.
"""

from __future__ import annotations

import dataclasses
import logging

import httpx2
import pytest

from core_client import (
    CampaignUpserted,
    CharacterUpserted,
    ChatMessage,
    CoreClient,
    Outbox,
    Platform,
    SessionNote,
    SessionStarted,
)
from storage.settings import CoreSettings
from tests.bot.conftest import SERVICE_KEY
from tests.emulators.llm_script import Answer
from tests.emulators.openai_api import OpenAIEmulator
from tests.support.core import d20_roll

KEY = SERVICE_KEY
SECRETS = {
    "campaign": "Campaign-Nimbus-5531",
    "character": "Quixotic-Pim-4412",
    "label": "Zorblax-Label-7781",
    "chat": "Marmalade-Whisper-9923",
    "note": "Note-Ferric-Lantern-2207",
    "question": "Where-is-the-Obsidian-Goose-3317",
    "answer": "Answer-Velvet-Anchor-6620",
    "taken": "Taken-Key-Opal-8841",
    "platform": "Platform-Typo-Mauve-1906",
}


@pytest.fixture(params=[False, True], ids=["default", "echo_sql"])
def core_settings(core_settings: CoreSettings, request: pytest.FixtureRequest) -> CoreSettings:
    return dataclasses.replace(core_settings, echo_sql=request.param)


@pytest.fixture
async def service(metered_service: httpx2.AsyncClient) -> httpx2.AsyncClient:
    return metered_service


async def _play(
    core_client: CoreClient,
    core_http: httpx2.AsyncClient,
    outbox: Outbox,
    service: httpx2.AsyncClient,
    emulator: OpenAIEmulator,
    core_api_key: str,
) -> None:
    key = "guild:77"
    roll = d20_roll(17, key, character=SECRETS["character"])
    roll.data["label"] = SECRETS["label"]
    for event in [
        CampaignUpserted(key=key, name=SECRETS["campaign"]).event(),
        CharacterUpserted(SECRETS["character"], Platform.DISCORD, campaign_id=key).event(),
        roll,
        ChatMessage(key, Platform.DISCORD, SECRETS["chat"], author_name="Pike").event(),
        SessionStarted("s-1", key, title="Session One").event(),
        SessionNote("s-1", SECRETS["note"]).event(),
    ]:
        await outbox.put(event)
    refused = CharacterUpserted("Pim", Platform.DISCORD, campaign_id=key).event()
    refused.data["source_platform"] = SECRETS["platform"]  # refused for good: a dead letter
    for event in [refused]:
        await outbox.put(event)
    assert await outbox.flush()
    assert len(await outbox.dead_letters()) == 1
    campaign = await core_client.campaign_by_key(key)
    assert campaign is not None
    emulator.queue(Answer(SECRETS["answer"], prompt_tokens=30, completion_tokens=5))
    asked = await service.post(
        "/ai/chat",
        json={"campaign_id": campaign["id"], "question": SECRETS["question"]},
        headers={"Authorization": f"Bearer {KEY}"},
    )
    assert asked.status_code == 200, asked.text
    assert await outbox.flush()
    assert SECRETS["label"] in str((await core_client.rolls())["rolls"])
    assert SECRETS["chat"] in str((await core_client.chat())["chat"])
    assert SECRETS["note"] in str(await core_client.campaign_context(campaign["id"]))
    headers = {"Authorization": f"Bearer {core_api_key}"}
    body = {"name": "First", "external_key": SECRETS["taken"]}
    assert (await core_http.post("/campaigns", json=body, headers=headers)).status_code == 201
    again = await core_http.post("/campaigns", json=body, headers=headers)
    assert again.status_code == 409


async def test_no_user_content_nor_sql_parameters_reach_the_log_at_info(
    caplog: pytest.LogCaptureFixture,
    core_settings: CoreSettings,
    core_client: CoreClient,
    core_http: httpx2.AsyncClient,
    outbox: Outbox,
    service: httpx2.AsyncClient,
    openai_emulator: tuple[OpenAIEmulator, str],
    core_api_key: str,
) -> None:
    caplog.set_level(logging.INFO)
    await _play(core_client, core_http, outbox, service, openai_emulator[0], core_api_key)
    logged = caplog.text + "".join(
        f"{r.getMessage()} {r.args!r} {r.exc_text or ''}" for r in caplog.records
    )
    assert caplog.records  # the flow did log, at INFO and above
    if core_settings.echo_sql:
        assert "INSERT INTO rolls" in logged  # the database layer's lines are captured
        assert "SQL parameters hidden" in logged
    for what, text in SECRETS.items():
        assert text not in logged, f"the {what} ({text}) reached the log"
