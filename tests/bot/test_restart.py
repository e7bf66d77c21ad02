"""`fumblebot run` restarted mid-session: nothing a table relies on is lost.

Each test runs the real process against the Discord emulator, stops it with
SIGTERM and starts it again on the same data directory.
"""

from __future__ import annotations

import asyncio
import contextlib
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import httpx2
import pytest

from tests.bot.test_cli import ROLL, stored_formulas
from tests.emulators.discord_api import DiscordEmulator
from tests.support.fumblebot_process import FumbleBotProcess, run_env, wait_healthy
from tests.support.live_table import SERVICE_KEY, LiveTable, create_campaign, live_table, pair

ROLLS = 60
WEBHOOK_ROUTE = "/webhooks/{webhook_id}/{webhook_token}"


@pytest.fixture
async def table(emu: DiscordEmulator, tmp_path: Path) -> AsyncIterator[LiveTable]:
    async with live_table(emu, tmp_path) as table:
        yield table


async def me(table: LiveTable, token: str) -> httpx2.Response:
    headers = {"Authorization": f"Bearer {token}"}
    return await table.http.get(f"{table.bridge_url}/vtt/accounts/me", headers=headers)


async def test_a_restart_keeps_every_pairing_and_every_revocation(table: LiveTable) -> None:
    await create_campaign(table)
    kept, revoked = await pair(table), await pair(table)
    gone = await table.http.delete(
        f"{table.bridge_url}/vtt/accounts/link", headers={"Authorization": f"Bearer {revoked}"}
    )
    assert gone.status_code in (200, 204), gone.text
    before = await me(table, kept)
    assert before.status_code == 200, before.text
    await table.restart()
    after = await me(table, kept)
    assert after.status_code == 200, after.text
    assert after.json() == before.json()
    refused = await me(table, revoked)
    assert refused.status_code == 401
    assert refused.json()["error"]["code"] == "token_revoked"


async def test_stopping_delivers_the_last_rolls_to_core_first(tmp_path: Path) -> None:
    run = run_env(
        tmp_path,
        FUMBLEBOT_CORE_API_KEY=SERVICE_KEY,
        FUMBLEBOT_BRIDGE_SERVICE_KEYS=SERVICE_KEY,  # the bridge's /v1 key is its own role's
        # One roll per delivery: a burst takes many round trips to Core, so
        # the burst is still queued when the signal arrives.
        FUMBLEBOT_OUTBOX_BATCH_SIZE="1",
    )
    process = FumbleBotProcess(run.env)
    await process.start()
    bridge = run.bridge_url
    async with httpx2.AsyncClient(timeout=5) as http:
        await wait_healthy(http, f"{bridge}/health")
        await wait_healthy(http, f"{run.core_url}/health")
        headers = {"Authorization": f"Bearer {SERVICE_KEY}"}
        rolls = [{**ROLL, "formula": f"1d20+{n}"} for n in range(ROLLS)]
        answers = await asyncio.gather(
            *(http.post(f"{bridge}/v1/campaigns/table-1/rolls", json=r, headers=headers)
              for r in rolls)
        )  # fmt: skip
    assert {a.status_code for a in answers} == {202}
    code, err = await process.stop(signal.SIGTERM)
    assert code == 0, err
    assert "Traceback" not in err
    stored = stored_formulas(tmp_path / "data" / "core.sqlite3")
    assert sorted(f for f, _ in stored) == sorted(r["formula"] for r in rolls)


async def test_lines_held_by_a_sustained_429_are_posted_in_order_after_a_restart(
    table: LiveTable,
) -> None:
    await create_campaign(table)
    token = await pair(table)
    [game_id] = (await me(table, token)).json()["games"]
    emu = table.emu
    await relay_following(table, token, game_id)
    # Discord keeps answering 429: discord.py gives up after five tries each time.
    rule = emu.inject_rate_limit("POST", WEBHOOK_ROUTE, retry_after=0.2, count=1_000_000)
    lines = [("Grog", "I rage!"), ("Pike", "I heal Grog."), ("Grog", "I attack.")]
    for speaker, text in lines:
        await vtt_says(table, token, game_id, speaker, text)
    await emu.state.wait_until(
        lambda: len(rate_limited(emu)) > 5, 30, "discord.py to give up on a 429 at least once"
    )
    await table.restart()
    emu.state.rate_limits.remove(rule)
    await emu.wait_channel_message(table.channel, lambda m: m.content == "I attack.", timeout=30)
    posted = [m.content for m in emu.channel_messages(table.channel) if m.source == "webhook"]
    assert [p for p in posted if not (p or "").startswith("probe")] == [t for _, t in lines]


def rate_limited(emu: DiscordEmulator) -> list[object]:
    return [r for r in emu.requests_for("execute_webhook") if r.status == 429]


async def vtt_says(table: LiveTable, token: str, game_id: str, speaker: str, text: str) -> None:
    """Post a chat line as the paired extension does."""
    body = {"game_id": game_id, "text": text, "speaker": speaker}
    headers = {"Authorization": f"Bearer {token}"}
    sent = await table.http.post(f"{table.bridge_url}/vtt/chat", json=body, headers=headers)
    assert sent.status_code == 202, sent.text


async def relay_following(table: LiveTable, token: str, game_id: str) -> None:
    """Wait until the bot relays VTT chat: the relay subscribes once Discord is ready."""
    for n in range(60):
        await vtt_says(table, token, game_id, "Probe", f"probe {n}")
        with contextlib.suppress(TimeoutError):
            await table.emu.wait_channel_message(
                table.channel, lambda m: (m.content or "").startswith("probe"), timeout=0.5
            )
            return
    raise AssertionError("the relay never followed the game")
