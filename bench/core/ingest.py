"""Benchmark: signed webhook ingest into SQLite and PostgreSQL, against raw executemany.

Each run starts from a freshly migrated database. The webhook path is the
whole of it: the SDK signs a batch (as the outbox sends them), Core verifies
the signature, decodes and validates every event, claims the event ids,
resolves campaigns and users, applies crit rules and inserts. The baseline
inserts the same rows (webhook_events + rolls) with the driver's own
`executemany` in one transaction: the floor of what any ingest could cost.

Run: .venv/bin/python -m bench.core.ingest [--events N] [--runs R] [--batch B] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import statistics
import tempfile
import time
import uuid
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx2

from bench.core.rows import baseline_insert, make_events
from core_client import CoreClient, Event, signing
from storage import db
from storage.app import create_app
from storage.crypto import generate_key
from storage.settings import CoreSettings

log = logging.getLogger(__name__)

PG_DSN = "postgresql://postgres@127.0.0.1:5432/test"


@dataclass(frozen=True)
class Result:
    """Medians of one backend."""

    backend: str
    webhook: float
    raw: float

    def line(self) -> str:
        """Return the figures as a Markdown table row."""
        ratio = self.webhook / self.raw
        return f"| {self.backend} | {self.webhook:,.0f} | {self.raw:,.0f} | {ratio:.2f} |"


async def ingest_rate(url: str, events: list[Event], batch: int) -> float:
    """Deliver `events` in signed batches to a fresh Core; return events per second."""
    secret = signing.generate_secret()
    settings = CoreSettings(
        database_url=url, signing_secrets=(secret,), encryption_key=generate_key()
    )
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
            client = CoreClient("http://core", http, signing_secrets=[secret])
            start = time.perf_counter()
            for i in range(0, len(events), batch):
                receipt = await client.deliver(events[i : i + batch])
                assert receipt["accepted"] == len(events[i : i + batch]), receipt
            elapsed = time.perf_counter() - start
    return len(events) / elapsed


async def raw_rate(url: str, events: list[Event]) -> float:
    """Insert the same rows with executemany into a fresh schema; return rows per second."""
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine)
    finally:
        await engine.dispose()
    start = time.perf_counter()
    await baseline_insert(url, events)
    return len(events) / (time.perf_counter() - start)


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
    """Alternate webhook and raw runs on fresh databases; return the medians."""
    webhook, raw = [], []
    for _ in range(args.runs):
        events = make_events(args.events)
        async with fresh() as url:
            webhook.append(await ingest_rate(url, events, args.batch))
        async with fresh() as url:
            raw.append(await raw_rate(url, events))
    log.info("%s webhook runs: %s", backend, [round(r) for r in webhook])
    log.info("%s raw runs: %s", backend, [round(r) for r in raw])
    return Result(backend, statistics.median(webhook), statistics.median(raw))


async def main(args: argparse.Namespace) -> None:
    """Run the benchmark and print a Markdown table."""
    backends: list[tuple[str, Callable[[], Any]]] = [("SQLite", sqlite_db)]
    if not args.no_postgres:
        backends.append(("PostgreSQL", postgres_db))
    results = [await measure(name, fresh, args) for name, fresh in backends]
    print(f"{args.events} events per run, batches of {args.batch}, median of {args.runs} runs")
    print("| database | signed webhooks (events/s) | raw executemany (rows/s) | webhook / raw |")
    print("|---|---:|---:|---:|")
    for result in results:
        print(result.line())


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-postgres", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    # Only this module talks: per-request INFO logs of httpx would skew the timing.
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    asyncio.run(main(parse_args()))
