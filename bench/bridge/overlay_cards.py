"""Benchmark what one overlay feed pays per roll, against an extension stream's frame.

Usage: `.venv/bin/python bench/bridge/overlay_cards.py`

An extension stream sends a roll event's data as it is, encoded once for all
its subscribers (`bridge.fanout.encode`). An overlay feed filters the event
(`visible_to`), judges it by the campaign's crit rules, cuts it down to an
`OverlayCard` through the contract and encodes that frame: work per feed.
This times both on the same roll events in the same run, interleaved, as
medians of 7 repetitions of 2,000 events, and prints their ratio and the
load average (the ratio is what holds on a busy machine).
"""

from __future__ import annotations

import os
import platform
import statistics
import time

from bridge.bus import BusEvent
from bridge.events import Origin, roll_event
from bridge.fanout import encode
from bridge.overlay.feed import card, frame
from core_client import DiceGroup, Die, Platform, RollRecord
from core_client.contract.enums import Comparison, Reads
from core_client.contract.rules import Rule

EVENTS = 2000
REPEATS = 7
RULES = [
    Rule("crit-range-19", (20,), Reads.HIGHEST, Comparison.GE, 19, "crit", 10),
    Rule("nat-1", (20,), Reads.HIGHEST, Comparison.MIN, 0, "fumble", 10),
]


def events() -> list[BusEvent]:
    out = []
    for i in range(EVENTS):
        dice = (Die(20, 1 + i % 20), Die(20, 1 + (i * 7) % 20, kept=False))
        record = RollRecord(
            platform=Platform.ROLL20,
            campaign_id="c1",
            formula="2d20kh1+5 Attack",
            total=dice[0].value + 5,
            groups=(DiceGroup("2d20kh1", 20, dice),),
            actor_name="Alice the Bold",
            label="Attack",
        )
        origin = Origin(Platform.ROLL20, user_id="u1", user_name="Alice")
        data = roll_event(record, origin, game_id="g1")
        out.append(BusEvent(f"e-{i}", "game:c1:g1", "roll", data, at=time.time()))
    return out


def extension(batch: list[BusEvent]) -> float:
    start = time.perf_counter()
    for event in batch:
        encode(event)  # once per event, whatever the audience (bridge.fanout)
    return (time.perf_counter() - start) / len(batch)


def overlay(batch: list[BusEvent]) -> float:
    start = time.perf_counter()
    for event in batch:
        shown = card(event, RULES)
        assert shown is not None
        frame("roll", shown, event.id)
    return (time.perf_counter() - start) / len(batch)


def main() -> None:
    batch = events()
    ext, ovl = [], []
    for _ in range(REPEATS):
        ext.append(extension(batch))
        ovl.append(overlay(batch))
    e, o = statistics.median(ext) * 1e6, statistics.median(ovl) * 1e6
    print(f"Machine: CPython {platform.python_version()} on {platform.machine()}")
    print(f"load average at the end: {os.getloadavg()[0]:.2f}")
    print(f"extension frame: {e:.1f} µs per roll event (encoded once for all subscribers)")
    print(f"overlay card + frame: {o:.1f} µs per roll event per overlay feed")
    print(f"ratio overlay / extension: {o / e:.1f}x")


if __name__ == "__main__":
    main()
