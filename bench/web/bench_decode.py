"""What the bounded body decoder costs next to the decoders it replaced.

`core_client.web.decode_json` is `msgspec.json.decode` plus a walk that bounds
nesting and integer size. This times it, bare msgspec and `json.loads` (what
the apps used before) on a batch of roll items close to the bridge's 256 KiB
limit, median of `--repeat` runs of `--number` decodes each.

    .venv/bin/python bench/web/bench_decode.py
"""

from __future__ import annotations

import argparse
import json
import statistics
import timeit
from collections.abc import Callable

import msgspec

from core_client.web import decode_json


def body(items: int) -> bytes:
    """Return a /vtt/rolls-like batch of `items` roll items."""
    rolls = [{"sides": 20, "value": v, "kept": v % 2 == 0} for v in range(10)]
    item = {"format": "roll20.message", "payload": {"content": "x" * 50, "rolls": rolls}}
    return json.dumps({"game_id": "g1", "items": [item] * items}).encode()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=450)
    parser.add_argument("--number", type=int, default=100)
    parser.add_argument("--repeat", type=int, default=7)
    args = parser.parse_args()
    raw = body(args.items)
    decoders: dict[str, Callable[[], object]] = {
        "json.loads": lambda: json.loads(raw),
        "msgspec.json.decode": lambda: msgspec.json.decode(raw),
        "decode_json (bounded)": lambda: decode_json(raw),
    }
    print(f"body: {len(raw):,} bytes")
    for name, decode in decoders.items():
        runs = timeit.repeat(decode, number=args.number, repeat=args.repeat)
        print(f"{name:>22}: {statistics.median(runs) / args.number * 1e3:.2f} ms per body")


if __name__ == "__main__":
    main()
