"""What a character summary costs Core per write, and what it saves the AI prompt.

For each real-sized fixture sheet: the median time to derive the summary
(`core_client.sheets.summarize`, the sheet already decoded, as Core has it),
against the same run's median of the check every sheet already gets at the
edge (`check_json`, the contract's walk over the whole document): the ratio
is what summarising adds to that step. Sizes: the sheet, its summary, and the
character's line in an AI prompt (tokens estimated as characters / 4).

    python -m bench.core.summaries
"""

from __future__ import annotations

import json
import os
import statistics
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from bot.ai.context import ContextItem
from bot.ai.sheets import character_data
from core_client.contract import codec
from core_client.contract.scalars import MAX_SHEET_BYTES, check_json
from core_client.sheets import summarize

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


def main() -> None:
    print(f"load average before: {os.getloadavg()[0]:.2f}")
    print("| sheet | file | summary | prompt line, tokens | summarise µs | check_json µs | ratio |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for name, platform in SHEETS.items():
        print(row(name, platform))
    print(f"load average after: {os.getloadavg()[0]:.2f}")


if __name__ == "__main__":
    main()
