"""Benchmark: signed webhook ingest into SQLite and PostgreSQL, against raw executemany.

Each run starts from a freshly migrated database. The webhook path is the
whole of it: the SDK signs a batch (as the outbox sends them), Core verifies
the signature, decodes and validates every event, claims the event ids,
resolves campaigns and users, applies crit rules and inserts. The baseline
inserts the same rows (webhook_events + rolls) with the driver's own
`executemany` in one transaction: the floor of what any ingest could cost.

Core runs in its own process (bench/core/server.py, uvicorn on loopback) so
its CPU time is its own: the figure is events per CPU-second of that process
(its threads' time on a CPU, in nanoseconds from schedstat: /proc's 10 ms
ticks are about 2% of a run), against rows per CPU-second of the process that
runs the raw executemany. With PostgreSQL neither counts the database
server's own CPU in the ratio; the CPU time of the backends serving each side
(by `pid` from pg_stat_activity, read from /proc: the server must be on this
machine) is printed beside it in microseconds per event, since work Core
moves into SQL lands there. Wall-clock rates are printed too.

Run: .venv/bin/python -m bench.core.ingest [--events N] [--runs R] [--batch B]
     [--raw-repeats K] [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import statistics
import sys
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2
from sqlalchemy.engine import make_url

from bench.core.rows import baseline_insert, baseline_rows, cpu_ns, cpu_seconds, make_events
from core_client import CoreClient, Event, signing
from core_client.outbox_settings import OutboxSettings
from storage import db

log = logging.getLogger(__name__)

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"
PROFILE = os.environ.get("BENCH_CORE_PROFILE", "")  # a path: profile Core with cProfile


@dataclass(frozen=True)
class Rate:
    """One run: items per second of wall time and per CPU-second of the measured process."""

    wall: float
    cpu: float
    db_us: float = 0.0  # PostgreSQL backends' CPU microseconds per item (0 on SQLite)


@dataclass(frozen=True)
class Result:
    """Every run of one backend: medians of rates, and of each run's ratio."""

    backend: str
    webhook: list[Rate]
    raw: list[Rate]

    def ratios(self, figure: str) -> list[float]:
        """Return each run's webhook rate over the raw rate measured right after it.

        The machine's speed drifts between runs more than within one, so a
        run is judged against its own baseline, not against the median.
        """
        pairs = zip(self.webhook, self.raw, strict=True)
        return [getattr(hook, figure) / getattr(raw, figure) for hook, raw in pairs]

    def line(self) -> str:
        """Return the figures as a Markdown table row."""
        hook_cpu = statistics.median(r.cpu for r in self.webhook)
        raw_cpu = statistics.median(r.cpu for r in self.raw)
        hook_wall = statistics.median(r.wall for r in self.webhook)
        raw_wall = statistics.median(r.wall for r in self.raw)
        hook_db = statistics.median(r.db_us for r in self.webhook)
        raw_db = statistics.median(r.db_us for r in self.raw)
        cpu_ratio, wall_ratio = self.ratios("cpu"), self.ratios("wall")
        return (
            f"| {self.backend} | {hook_cpu:,.0f} | {raw_cpu:,.0f} "
            f"| {statistics.median(cpu_ratio):.2f} ({min(cpu_ratio):.2f}-{max(cpu_ratio):.2f}) "
            f"| {hook_wall:,.0f} | {raw_wall:,.0f} | {statistics.median(wall_ratio):.2f} "
            f"| {hook_db:.1f} | {raw_db:.1f} |"
        )


async def backends_cpu(url: str) -> dict[int, float]:
    """Return the CPU seconds of each PostgreSQL backend serving `url`'s database ({} on SQLite)."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "postgresql":
        return {}
    import asyncpg

    admin = await asyncpg.connect(PG_DSN)
    try:
        query = "SELECT pid FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()"
        pids = [r["pid"] for r in await admin.fetch(query, parsed.database)]
    finally:
        await admin.close()
    return {pid: cpu_seconds(pid) for pid in pids}


@asynccontextmanager
async def core_process(
    url: str, secret: str, cwd: Path | None = None
) -> AsyncIterator[tuple[str, int]]:
    """Run Core in its own process (bench/core/server.py); yield its base URL and pid.

    With `cwd`, the code is that directory's (a worktree of another revision:
    `bench.core.compare`): it comes first on the module path.
    """
    env = os.environ | {"BENCH_CORE_DATABASE_URL": url, "BENCH_CORE_SIGNING_SECRET": secret}
    if PROFILE:
        env["BENCH_CORE_PROFILE"] = PROFILE
    if cwd is not None:
        env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(cwd), env.get("PYTHONPATH")]))
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bench.core.server",
        env=env,
        stdout=asyncio.subprocess.PIPE,
        cwd=cwd,
    )
    try:
        assert proc.stdout is not None
        line = await asyncio.wait_for(proc.stdout.readline(), 120)
        if not line:
            raise RuntimeError("Core's benchmark server exited before it listened")
        port = json.loads(line)["port"]
        yield f"http://127.0.0.1:{port}", proc.pid
    finally:
        if proc.returncode is None:
            proc.terminate()
        await proc.wait()


async def ingest_rate(url: str, events: list[Event], batch: int) -> Rate:
    """Deliver `events` in signed batches to a fresh Core process; return its rates."""
    secret = signing.generate_secret()
    async with (
        core_process(url, secret) as (base, pid),
        httpx2.AsyncClient(base_url=base, timeout=60) as http,
    ):
        client = CoreClient(base, http, signing_secrets=[secret])
        batches = [events[i : i + batch] for i in range(0, len(events), batch)]
        first = await client.deliver(batches[0])  # warm-up: connection, statement caches
        if first.accepted != len(batches[0]):
            raise RuntimeError(f"Core refused the warm-up batch: {first}")
        db_before = await backends_cpu(url)
        cpu, start = cpu_ns(pid), time.perf_counter()
        for chunk in batches[1:]:
            receipt = await client.deliver(chunk)
            if receipt.accepted != len(chunk):
                raise RuntimeError(f"Core stored {receipt.accepted} of {len(chunk)}: {receipt}")
        wall, used = time.perf_counter() - start, (cpu_ns(pid) - cpu) / 1e9
        db_after = await backends_cpu(url)
    stored = len(events) - len(batches[0])
    db_used = sum(t - db_before.get(p, 0.0) for p, t in db_after.items())
    return Rate(stored / wall, stored / used, db_used / stored * 1e6)


async def raw_rate(fresh: Callable[[], Any], events: list[Event], repeats: int) -> Rate:
    """Insert the same rows with executemany into `repeats` fresh schemas; return the rates.

    One insert of 5,000 rows takes 50-100 ms of CPU, which a few milliseconds
    of scheduling move by 10-20%; the figure is the sum over the repeats.
    """
    wall = used = db_used = 0.0
    for _ in range(repeats):
        async with fresh() as url:
            engine = db.create_engine(url)
            try:
                await db.upgrade(engine)
            finally:
                await engine.dispose()
            rows = baseline_rows(url, events)  # prepared beforehand: only the insert is timed
            cpu, start = time.process_time(), time.perf_counter()
            db_used += await baseline_insert(url, rows)
            wall, used = wall + time.perf_counter() - start, used + time.process_time() - cpu
    inserted = len(events) * repeats
    return Rate(inserted / wall, inserted / used, db_used / inserted * 1e6)


@asynccontextmanager
async def sqlite_db() -> AsyncIterator[str]:
    """Yield the URL of a new SQLite file."""
    with tempfile.TemporaryDirectory() as tmp:
        yield f"sqlite+aiosqlite:///{Path(tmp) / 'core.sqlite3'}"


@asynccontextmanager
async def postgres_db() -> AsyncIterator[str]:
    """Yield the URL of a new PostgreSQL database, dropped afterwards."""
    import asyncpg

    name = f"fb_bench_{uuid.uuid4().hex[:10]}"
    admin = await asyncpg.connect(PG_DSN)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
        yield f"postgresql+asyncpg://postgres@127.0.0.1:5432/{name}"
    finally:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        await admin.close()


async def measure(backend: str, fresh: Callable[[], Any], args: argparse.Namespace) -> Result:
    """Alternate webhook and raw runs on fresh databases; return every run."""
    webhook, raw = [], []
    for _ in range(args.runs):
        events = make_events(args.events)
        async with fresh() as url:
            webhook.append(await ingest_rate(url, events, args.batch))
        raw.append(await raw_rate(fresh, events, args.raw_repeats))
    for name, runs in (("webhook", webhook), ("raw", raw)):
        log.info("%s %s per CPU-s: %s", backend, name, [round(r.cpu) for r in runs])
        log.info("%s %s per wall s: %s", backend, name, [round(r.wall) for r in runs])
        log.info("%s %s database us: %s", backend, name, [round(r.db_us, 1) for r in runs])
    return Result(backend, webhook, raw)


async def main(args: argparse.Namespace) -> None:
    """Run the benchmark and print a Markdown table."""
    backends: list[tuple[str, Callable[[], Any]]] = []
    if not args.no_sqlite:
        backends.append(("SQLite", sqlite_db))
    if not args.no_postgres:
        backends.append(("PostgreSQL", postgres_db))
    load = os.getloadavg()[0]
    results = [await measure(name, fresh, args) for name, fresh in backends]
    load = max(load, os.getloadavg()[0])
    print(
        f"{args.events} events per run, batches of {args.batch}, median of {args.runs} runs;"
        f" raw: {args.raw_repeats} inserts of those rows per run, summed"
    )
    print(f"load average (1 min) up to {load:.1f}")
    print(
        "| database | webhook events / server CPU-s | raw rows / CPU-s "
        "| ratio, median of runs' (range) | webhook events/s wall | raw rows/s wall | ratio "
        "| PG backend us/event, webhook | PG backend us/row, raw |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    for result in results:
        print(result.line())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    # As a backlogged outbox sends them, by default.
    parser.add_argument("--batch", type=int, default=OutboxSettings().batch_size)
    parser.add_argument(
        "--raw-repeats", type=int, default=4, help="raw inserts per run, summed (default 4)"
    )
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    # Only this module talks: per-request INFO logs of httpx would skew the timing.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    asyncio.run(main(parse_args()))
