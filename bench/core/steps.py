"""Profile Core's webhook path step by step: each step's share of the CPU time.

Runs the steps Core runs for one signed delivery (storage/routes/webhooks.py
and storage/ingest.py), in-process on a freshly migrated database, timing
each one with the process's CPU clock (which counts aiosqlite's thread too):
signature, decode and validation (body, envelopes, payloads: one step since
the typed shortcut, `core_client.contract.typed`), dedup claim, resolve,
crit rules, row building, insert, tallies (on PostgreSQL one step, "insert +
tallies": one statement, `storage.pgtallies`), commit. HTTP (uvicorn,
Starlette) is not in it: `ingest.py` measures the whole server process, and
the difference is the HTTP share.

Run: .venv/bin/python -m bench.core.steps [--events N] [--batch B] [--no-sqlite] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import time
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from bench.core.ingest import postgres_db, sqlite_db
from bench.core.rows import make_events
from core_client import Event, signing
from core_client.contract import RollRecord
from core_client.contract.events import encode_delivery
from storage import bulk, db, ingest, pgtallies, tallies
from storage.handlers import rolls
from storage.handlers.context import Ingest
from storage.models import Roll

log = logging.getLogger(__name__)


class Clock:
    """CPU seconds per step name."""

    def __init__(self) -> None:
        self.spent: dict[str, float] = defaultdict(float)

    @contextmanager
    def step(self, name: str) -> Iterator[None]:
        """Charge the CPU time of the block to `name`."""
        start = time.process_time()
        try:
            yield
        finally:
            self.spent[name] += time.process_time() - start


async def run(url: str, events: list[Event], batch: int) -> Clock:
    """Store `events` in batches, step by step; return the CPU time of each step."""
    engine = db.create_engine(url)
    await db.upgrade(engine)
    sessions = db.sessionmaker(engine)
    secret = signing.generate_secret()
    keys = [signing.decode_secret(secret)]
    clock = Clock()
    try:
        for i in range(0, len(events), batch):
            chunk = events[i : i + batch]
            body = encode_delivery(chunk)
            headers = signing.sign([secret], chunk[0].id, body).as_dict()
            await _one(clock if i else Clock(), sessions, keys, headers, body)
    finally:
        await engine.dispose()
    return clock


async def _one(clock: Clock, sessions: Any, keys: Any, headers: Any, body: bytes) -> None:
    with clock.step("signature"):
        signing.verify(keys, headers, body)
    with clock.step("decode + validation"):  # one step since the typed shortcut
        items = [item for _, item in ingest.check_body(body).items]
        envelopes = [e for e, _ in items]
    with clock.step("transaction"):
        session = sessions()
        await session.begin()
    with clock.step("dedup claim"):
        fresh = await ingest._claim(session, envelopes)
    pairs = [(e, p) for e, p in items if e.id in fresh and isinstance(p, RollRecord)]
    ctx = Ingest(session)
    with clock.step("resolve"):
        links = await rolls._resolve(ctx, [p for _, p in pairs])
    await _rows(clock, ctx, pairs, links)
    with clock.step("commit"):
        await session.commit()
        await session.close()


async def _rows(clock: Clock, ctx: Ingest, pairs: list[Any], links: Any) -> None:
    bare = [rolls.roll_row(r, e.occurred_at) for e, r in pairs]
    with clock.step("crit rules"):  # as ingest judges: remembered across deliveries
        for (_, record), _row in zip(pairs, bare, strict=True):
            links.verdict(links.campaigns[record.id], record)
    with clock.step("row building"):  # finds each verdict judged: a lookup per roll
        rows = [rolls._linked_row(r, e.occurred_at, links) for e, r in pairs]
    if pgtallies.applies(ctx.session, rows):  # one statement inserts and counts: one step
        with clock.step("insert + tallies"):
            await pgtallies.insert_counted(ctx.session, rows)
        return
    with clock.step("insert"):
        keys = await bulk.insert(
            ctx.session,
            Roll.__table__,
            rows,
            conflict=["idempotency_key"],
            returning="idempotency_key",
        )
    with clock.step("tallies"):
        by_key = {r["idempotency_key"]: r for r in rows}
        await tallies.record(ctx.session, [by_key[k] for k in keys], rolled=True)


def report(backend: str, clock: Clock, events: int) -> None:
    """Print each step's CPU time per event and share."""
    total = sum(clock.spent.values())
    print(f"{backend}: {total / events * 1e6:.0f} us of CPU per event outside HTTP")
    print("| step | us per event | share |")
    print("|---|---:|---:|")
    for name, spent in sorted(clock.spent.items(), key=lambda kv: -kv[1]):
        print(f"| {name} | {spent / events * 1e6:.1f} | {spent / total:.0%} |")


async def main(args: argparse.Namespace) -> None:
    """Profile each backend."""
    backends: list[tuple[str, Any]] = []
    if not args.no_sqlite:
        backends.append(("SQLite", sqlite_db))
    if not args.no_postgres:
        backends.append(("PostgreSQL", postgres_db))
    events = make_events(args.events)
    for name, fresh in backends:
        async with fresh() as url:
            clock = await run(url, events, args.batch)
        report(name, clock, args.events - args.batch)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--events", type=int, default=5000)
    parser.add_argument("--batch", type=int, default=100)
    parser.add_argument("--no-sqlite", action="store_true")
    parser.add_argument("--no-postgres", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    asyncio.run(main(parse_args()))
