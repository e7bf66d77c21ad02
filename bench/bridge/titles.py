"""Benchmark the Roll20 tooltip parser on hostile titles: time per conversion by size.

Usage: `.venv/bin/python bench/bridge/titles.py`

Measured on the shared 2-core box (issue #12): the old `Rolling\\s+(.*?)\\s+=`
pattern took 0.015 s at 4 KB, 0.23 s at 16 KB and 17.6 s at 64 KB of repeated
"Rolling " (quadratic); the linear parser takes about 0.0001 s at 16 KB, and
titles over `MAX_TITLE` are refused before any parsing.
"""

from __future__ import annotations

import contextlib
import time

from bridge.errors import FormatError
from bridge.formats import RollContext, convert
from bridge.formats.roll20 import MAX_TITLE

SHAPES = {"rolling": "Rolling ", "tags": "<", "spans": '<span class="', "digits": "1"}


def main() -> None:
    ctx = RollContext(campaign_id="bench")
    for name, unit in SHAPES.items():
        for size in (1024, 4096, MAX_TITLE):
            title = unit * (size // len(unit))
            start = time.perf_counter()
            with contextlib.suppress(FormatError):
                convert("roll20.scrape", {"kind": "inline", "total": 1, "title": title}, ctx)
            print(f"{name:8} {size:6} chars  {time.perf_counter() - start:.6f} s")


if __name__ == "__main__":
    main()
