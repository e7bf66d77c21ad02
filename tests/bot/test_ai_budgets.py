"""AI daily budgets counted from Core's usage totals: a restart or another shard keeps them.

The `ai` fixture is overridden so the AI service is built as the composition
root builds it, with Core; "restarting" it is building a new instance and
handing it to the bot, which starts with no memory of what was spent.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace

import pytest

from bot.ai import AIService, build_ai_service
from bot.service_app import ai_reporter
from core_client import CoreClient, Outbox
from tests.bot.cogs.test_campaign_commands import create_campaign, slash
from tests.bot.conftest import Table, emulated_ai, private_error
from tests.emulators.llm_script import Answer
from tests.emulators.openai_api import OpenAIEmulator

BUDGET = 500


def budgeted(
    emulator: tuple[OpenAIEmulator, str], outbox: Outbox, core: CoreClient | None
) -> AIService:
    """Return a new AI service with a daily token budget per user, as serve builds it."""
    settings = emulated_ai(emulator, user_daily_tokens=BUDGET)
    return build_ai_service(settings, reporter=ai_reporter(outbox), core=core)


@pytest.fixture
async def ai(
    openai_emulator: tuple[OpenAIEmulator, str], outbox: Outbox, core_client: CoreClient
) -> AsyncIterator[AIService]:
    service = budgeted(openai_emulator, outbox, core_client)
    yield service
    await service.aclose()


async def spend_the_budget(table: Table, emulator: OpenAIEmulator, outbox: Outbox) -> None:
    emulator.queue(Answer("Everything, at length.", prompt_tokens=450, completion_tokens=60))
    inter = await slash(table, "ask", {"question": "Tell me everything."})
    await inter.wait_original(lambda m: "at length" in (m.content or ""))
    assert await outbox.flush()  # the usage is in Core


async def test_a_spent_budget_still_holds_after_the_ai_service_restarts(
    table: Table,
    openai_emulator: tuple[OpenAIEmulator, str],
    outbox: Outbox,
    core_client: CoreClient,
) -> None:
    await create_campaign(table)
    await spend_the_budget(table, openai_emulator[0], outbox)

    restarted = budgeted(openai_emulator, outbox, core_client)
    try:
        table.bot.deps = replace(table.bot.deps, ai=restarted)
        inter = await slash(table, "ask", {"question": "More?"})
        refusal = await private_error(table, inter)
    finally:
        await restarted.aclose()
    assert "daily token budget" in (refusal.content or "")
    assert len(openai_emulator[0].calls) == 1  # the refused question cost nothing


async def test_without_core_a_budget_still_holds_in_process(
    table: Table, openai_emulator: tuple[OpenAIEmulator, str], outbox: Outbox
) -> None:
    alone = budgeted(openai_emulator, outbox, None)
    try:
        table.bot.deps = replace(table.bot.deps, ai=alone)
        await create_campaign(table)
        await spend_the_budget(table, openai_emulator[0], outbox)
        refusal = await private_error(table, await slash(table, "ask", {"question": "More?"}))
    finally:
        await alone.aclose()
    assert "daily token budget" in (refusal.content or "")
