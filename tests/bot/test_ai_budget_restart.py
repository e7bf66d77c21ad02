"""A user's daily AI budget survives a crash: the real `fumblebot run`, killed and restarted.

The process is started against the Discord emulator and the OpenAI emulator,
a question spends part of the user's budget, the process is killed with
SIGKILL (no shutdown code runs) and started again on the same data
directory. Budgets are counted from Core's usage totals, so the restarted
process still counts what was spent before: the spend that reaches the
budget only with the pre-crash tokens is refused.
"""

from __future__ import annotations

import asyncio
import signal
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from tests.emulators.discord_api import DiscordEmulator
from tests.emulators.llm_script import Answer
from tests.emulators.openai_api import OpenAIEmulator
from tests.support.live_table import SERVICE_KEY, LiveTable, create_campaign, live_table

BUDGET = 500
SPEND = 300  # tokens per answer: one is under the budget, two are over it


@pytest.fixture
async def ai_table(
    emu: DiscordEmulator, tmp_path: Path, openai_emulator: tuple[OpenAIEmulator, str]
) -> AsyncIterator[LiveTable]:
    emulator, url = openai_emulator
    async with live_table(
        emu,
        tmp_path,
        FUMBLEBOT_AI_PROVIDER="openai",
        FUMBLEBOT_AI_BASE_URL=f"{url}/v1",
        FUMBLEBOT_AI_USER_DAILY_TOKENS=str(BUDGET),
        OPENAI_API_KEY=emulator.script.api_key,
    ) as table:
        yield table


async def answered(table: LiveTable, emulator: OpenAIEmulator, question: str) -> str:
    """Ask, answered by the emulator with SPEND tokens; return the answer shown."""
    emulator.queue(Answer("The dragon sleeps.", prompt_tokens=SPEND - 20, completion_tokens=20))
    inter = await table.slash("ask", {"question": question})
    shown = await inter.wait_original(lambda m: "dragon" in (m.content or ""), timeout=30)
    return shown.content or ""


async def refused(table: LiveTable, question: str) -> str:
    """Ask; return the refusal, checked to be private (it follows a public defer)."""
    inter = await table.slash("ask", {"question": question})
    await inter.wait_response()
    refusal = await inter.wait_followup(timeout=30)
    assert refusal.ephemeral, refusal.content
    return refusal.content or ""


async def spent_in_core(table: LiveTable, since: float) -> int:
    """Return the tokens Core has counted for the GM since `since`."""
    headers = {"Authorization": f"Bearer {SERVICE_KEY}"}
    params = {"since": str(since), "user_discord_id": str(table.gm.id)}
    answer = await table.http.get(f"{table.core_url}/ai/usage", params=params, headers=headers)
    assert answer.status_code == 200, answer.text
    return int(answer.json()["user_tokens"])


async def wait_spent(table: LiveTable, since: float, tokens: int) -> None:
    for _ in range(200):
        if await spent_in_core(table, since) >= tokens:
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"Core never counted {tokens} tokens")


async def test_a_budget_spent_before_a_crash_still_counts_after_the_restart(
    ai_table: LiveTable, openai_emulator: tuple[OpenAIEmulator, str]
) -> None:
    emulator = openai_emulator[0]
    day_start = time.time() // 86_400 * 86_400
    await create_campaign(ai_table)
    assert "dragon" in await answered(ai_table, emulator, "Where is the dragon?")
    await wait_spent(ai_table, day_start, SPEND)  # the usage reached Core before the crash

    code, _ = await ai_table.process.stop(signal.SIGKILL)
    assert code == -signal.SIGKILL  # killed: no shutdown code ran
    await ai_table.start()

    # 300 of 500 spent before the crash: this answer is allowed, and reaches 600.
    assert "dragon" in await answered(ai_table, emulator, "And now?")
    await wait_spent(ai_table, day_start, 2 * SPEND)
    assert "daily token budget" in await refused(ai_table, "One more?")
    assert len(emulator.calls) == 2  # the refused question never reached the provider
