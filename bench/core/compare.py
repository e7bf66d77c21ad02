"""Benchmark: Core's ingest CPU at two revisions, measured side by side in one run.

This machine's speed drifts by up to 2x from one minute to the next, so two
runs of `bench.core.ingest` minutes apart cannot show a change of a few
percent: a figure moves more between runs than a change moves it. Here two
Core processes run at once, one from the working tree and one from a git
revision (checked out into a temporary worktree), each on a fresh database
of its own, and every batch goes to both in turn (the order alternating),
so both see the same machine at the same moment. The figure is each
process's CPU time per event (its threads' time on a CPU, in nanoseconds
from schedstat, checked against /proc's user + system ticks) and their
ratio, per run and as the median of runs.

Run: .venv/bin/python -m bench.core.compare [--base REV] [--events N] [--runs R]
     [--batch B] [--postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import os
import statistics
import subprocess
import sys
import tempfile
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx2

from bench.core.ingest import core_process, postgres_db, sqlite_db
from bench.core.rows import cpu_ns, cpu_seconds, make_events
from core_client import CoreClient, Event, signing

log = logging.getLogger(__name__)

ROOT = Path(__file__).resolve().parents[2]


@dataclass(frozen=True)
class Side:
    """One of the two Cores: its name in the table, and the tree its code comes from."""

    name: str
    tree: Path


@contextlib.contextmanager
def worktree(rev: str) -> Iterator[Path]:
    """Check `rev` out into a temporary git worktree; remove it afterwards."""
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "tree"
        git = ["git", "-C", str(ROOT)]
        subprocess.run([*git, "worktree", "add", "--detach", str(path), rev], check=True,
                       capture_output=True)  # fmt: skip
        try:
            yield path
        finally:
            subprocess.run([*git, "worktree", "remove", "--force", str(path)], check=False)


@asynccontextmanager
async def running(side: Side, url: str, secret: str) -> AsyncIterator[tuple[CoreClient, int]]:
    """Run a Core from `side`'s tree (its modules first on the path); yield a client and its pid."""
    async with (
        core_process(url, secret, cwd=side.tree) as (base, pid),
        httpx2.AsyncClient(base_url=base, timeout=60) as http,
    ):
        yield CoreClient(base, http, signing_secrets=[secret]), pid


async def one_run(
    sides: tuple[Side, Side], events: list[Event], args: argparse.Namespace
) -> list[float]:
    """Feed both Cores the same batches in turn; return each one's CPU us per event."""
    fresh = postgres_db if args.postgres else sqlite_db
    secret = signing.generate_secret()
    batches = [events[i : i + args.batch] for i in range(0, len(events), args.batch)]
    async with (
        fresh() as url_a, fresh() as url_b,
        running(sides[0], url_a, secret) as (a, pid_a),
        running(sides[1], url_b, secret) as (b, pid_b),
    ):  # fmt: skip
        clients, pids = (a, b), (pid_a, pid_b)
        for client in clients:  # warm-up: connections, statement caches
            await _deliver(client, batches[0])
        ticks, nanos = [cpu_seconds(p) for p in pids], [cpu_ns(p) for p in pids]
        for i, chunk in enumerate(batches[1:]):
            for client in clients if i % 2 else clients[::-1]:
                await _deliver(client, chunk)
        ticks = [cpu_seconds(p) - t for p, t in zip(pids, ticks, strict=True)]
        nanos = [cpu_ns(p) - n for p, n in zip(pids, nanos, strict=True)]
    for tick, nano in zip(ticks, nanos, strict=True):
        if abs(tick - nano / 1e9) > 0.03:  # three ticks: a thread's time went missing
            raise RuntimeError(f"schedstat counted {nano / 1e9:.3f} s, /proc/stat {tick:.2f} s")
    stored = len(events) - len(batches[0])
    return [n / 1e3 / stored for n in nanos]


async def _deliver(client: CoreClient, chunk: list[Event]) -> None:
    receipt = await client.deliver(chunk)
    if receipt.accepted != len(chunk):
        raise RuntimeError(f"Core stored {receipt.accepted} of {len(chunk)}: {receipt}")


async def main(args: argparse.Namespace) -> None:
    """Run both Cores side by side `args.runs` times; print each run and the medians."""
    with worktree(args.base) as base_tree:
        sides = (Side(args.base, base_tree), Side("working tree", ROOT))
        load = os.getloadavg()[0]
        runs = []
        for n in range(args.runs):
            runs.append(await one_run(sides, make_events(args.events, seed=n + 1), args))
            log.info("run %d: %s", n + 1, ", ".join(f"{us:.1f}" for us in runs[-1]))
        load = max(load, os.getloadavg()[0])
    ratios = [new / old for old, new in runs]
    backend = "PostgreSQL" if args.postgres else "SQLite"
    print(f"{backend}, {args.events} events per run, batches of {args.batch}, {args.runs} runs, "
          f"load average (1 min) up to {load:.1f}")  # fmt: skip
    print(f"| Core CPU us per event | {sides[0].name} | working tree | working / {sides[0].name} |")
    print("|---|---:|---:|---:|")
    for n, ((old, new), ratio) in enumerate(zip(runs, ratios, strict=True), 1):
        print(f"| run {n} | {old:.1f} | {new:.1f} | {ratio:.3f} |")
    olds, news = zip(*runs, strict=True)
    print(f"| median | {statistics.median(olds):.1f} | {statistics.median(news):.1f} "
          f"| {statistics.median(ratios):.3f} |")  # fmt: skip


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--base", default="HEAD", help="the git revision to compare against")
    parser.add_argument("--events", type=int, default=10000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--postgres", action="store_true", help="PostgreSQL instead of SQLite")
    return parser.parse_args(argv)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    sys.exit(asyncio.run(main(parse_args())))
