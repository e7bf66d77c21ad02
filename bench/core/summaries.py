"""What a character summary costs Core per write, and what it saves the AI prompt.

For each real-sized fixture sheet: the median time to derive the summary
(`core_client.sheets.summarize`, the sheet already decoded, as Core has it),
against the same run's median of the check every sheet already gets at the
edge (`check_json`, the contract's walk over the whole document): the ratio
is what summarising adds to that step. Sizes: the sheet, its summary, and the
character's line in an AI prompt (tokens estimated as characters / 4).

Then the campaign context `/ask` and the character commands fetch, with the
three characters in one campaign on SQLite (in-process Core over ASGI): the
full answer against `sheets=0` (summaries, no exports), interleaved, medians.

    python -m bench.core.summaries
"""

from __future__ import annotations

import asyncio
import json
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx2

from bot.ai.context import ContextItem
from bot.ai.sheets import character_data
from core_client import CoreClient, Platform, signing
from core_client.contract import codec
from core_client.contract.scalars import MAX_SHEET_BYTES, check_json
from core_client.sheets import summarize
from storage.app import create_app
from storage.crypto import generate_key
from storage.settings import CoreSettings

FIXTURES = Path(__file__).parents[2] / "tests" / "core_client" / "sheets" / "fixtures"
SHEETS = {
    "foundry_wizard.json": "foundry",
    "dicecloud_cleric.json": "dicecloud",
    "roll20_ranger.json": "roll20",
}
REPEATS, LOOPS = 15, 20


def median_us(work: Callable[[], object]) -> float:
    """Return the median over REPEATS of the mean µs of LOOPS calls."""
    samples = []
    for _ in range(REPEATS):
        start = time.perf_counter()
        for _ in range(LOOPS):
            work()
        samples.append((time.perf_counter() - start) / LOOPS * 1e6)
    return statistics.median(samples)


def row(name: str, platform: str) -> str:
    raw = (FIXTURES / name).read_bytes()
    sheet: Any = json.loads(raw)
    summary = summarize(platform, sheet, "bench")
    assert summary is not None
    ours = median_us(lambda: summarize(platform, sheet, "bench"))
    check = median_us(lambda: check_json(sheet, "source", MAX_SHEET_BYTES))
    line = ContextItem("CHARACTER", character_data({"name": "bench", "summary": summary}, 1900))
    tokens = -(-len(line.render()) // 4)
    return (
        f"| `{name}` | {len(raw) / 1000:.0f} KB | {len(codec.encode(summary))} B "
        f"| {tokens} | {ours:.0f} | {check:.0f} | {ours / check:.2f}x |"
    )


async def context_ms(url: str) -> tuple[float, float, int, int]:
    """Return median ms and bytes of the context with sheets and with `sheets=0`."""
    key, secret = "bench-key", signing.generate_secret()
    settings = CoreSettings(database_url=url, signing_secrets=(secret,), api_keys=(key,),
                            encryption_key=generate_key())  # fmt: skip
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
            core = CoreClient("http://core", http, signing_secrets=[secret], api_key=key)
            campaign = (await core.create_campaign(name="bench"))["id"]
            for name, platform in SHEETS.items():
                sheet = json.loads((FIXTURES / name).read_bytes())
                await core.create_character(campaign, name=name, source_json=sheet,
                                            source_platform=Platform(platform))  # fmt: skip
            timings: dict[bool, list[float]] = {True: [], False: []}
            for _ in range(REPEATS):
                for sheets in (True, False):
                    start = time.perf_counter()
                    await core.campaign_context(campaign, sheets=sheets)
                    timings[sheets].append((time.perf_counter() - start) * 1000)
            path = f"/campaigns/{campaign}/context"
            auth = {"authorization": f"Bearer {key}"}
            full = len((await http.get(path, headers=auth)).content)
            lean = len((await http.get(path, params={"sheets": "0"}, headers=auth)).content)
    return statistics.median(timings[True]), statistics.median(timings[False]), full, lean


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| sheet | file | summary | prompt line, tokens | summarise µs | check_json µs | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, platform in SHEETS.items():
        print(row(name, platform))
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite+aiosqlite:///{Path(tmp) / 'core.sqlite3'}"
        full_ms, lean_ms, full, lean = asyncio.run(context_ms(url))
    print("\n| campaign context, 3 characters | ms | bytes |\n|---|---:|---:|")
    print(f"| with sheets | {full_ms:.1f} | {full:,} |\n| `sheets=0` | {lean_ms:.1f} | {lean:,} |")
    print(f"ratio: {full_ms / lean_ms:.1f}x the time, {full / lean:.0f}x the bytes")
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
