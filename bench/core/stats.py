"""Benchmark: GET /rolls/stats at 0, 100k and 1M stored rolls, SQLite and PostgreSQL.

Each size gets a fresh database migrated to 0002 (before the tallies), a
table-like population (50 campaigns, 1,000 players in one or two of them,
a character each in most), and that many rolls inserted with the driver's
executemany; then the upgrade to head backfills the tallies (timed too) and
every query is asked `--repeats` times over HTTP (httpx2.ASGITransport, so
authentication, the query and the JSON answer are in it), one of each kind
in turn: everything, one campaign, one player, one character, and a
campaign grouped by player. Medians in milliseconds.

Run: .venv/bin/python -m bench.core.stats [--sizes 0,100000,1000000] [--repeats 21]
     [--no-postgres] [--no-sqlite]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import logging
import os
import random
import sqlite3
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
from sqlalchemy import insert
from sqlalchemy.engine import make_url

from bench.core.ingest import postgres_db, sqlite_db
from bench.core.rows import sqlite_value
from core_client import signing
from storage import db
from storage.app import create_app
from storage.models import Campaign, Character, User
from storage.settings import CoreSettings

log = logging.getLogger(__name__)

API_KEY = "bench-stats-key"
COLUMNS = [
    "id", "idempotency_key", "platform", "campaign_key", "actor_id", "formula", "total",
    "visibility", "crit", "fumble", "groups", "rolled_at", "created_at", "updated_at",
    "campaign_id", "user_id", "character_id",
]  # fmt: skip


async def populate(url: str, size: int, seed: int = 1) -> list[tuple[uuid.UUID, uuid.UUID, Any]]:
    """Create the table-like population and `size` rolls; return the (campaign, user, char)s."""
    rng = random.Random(seed)
    now = datetime.now(UTC)
    campaigns = [uuid.uuid4() for _ in range(50)]
    users = [uuid.uuid4() for _ in range(1000)]
    seats, characters = [], []
    for user in users:
        for campaign in rng.sample(campaigns, rng.choice([1, 1, 2])):
            character = uuid.uuid4() if rng.random() < 0.8 else None
            if character:
                characters.append((character, campaign))
            seats.append((campaign, user, character))
    engine = db.create_engine(url)
    try:
        await db.upgrade(engine, "0002")
        stamp = {"version": 1, "created_at": now, "updated_at": now}
        async with engine.begin() as conn:
            names = [{"id": c, "name": f"c{i}", **stamp} for i, c in enumerate(campaigns)]
            await conn.execute(insert(Campaign.__table__), names)
            await conn.execute(insert(User.__table__), [{"id": u, **stamp} for u in users])
            rows = [
                {"id": ch, "campaign_id": c, "name": "pc", "source_platform": "discord", **stamp}
                for ch, c in characters
            ]
            await conn.execute(insert(Character.__table__), rows)
    finally:
        await engine.dispose()
    await _insert_rolls(url, [_roll(rng, rng.choice(seats), now, i) for i in range(size)])
    return seats


def _roll(rng: random.Random, seat: Any, now: datetime, i: int) -> tuple[Any, ...]:
    campaign, user, character = seat
    if i % 3:
        sides, dice = 20, [rng.randint(1, 20) for _ in range(rng.choice([1, 1, 1, 2]))]
    else:
        sides, dice = 6, [rng.randint(1, 6) for _ in range(rng.randint(1, 8))]
    kept = [{"sides": sides, "value": v, "kept": j == 0 or sides != 20} for j, v in enumerate(dice)]
    groups = [{"notation": f"{len(dice)}d{sides}", "sides": sides, "dice": kept}]
    at = now - timedelta(seconds=i)
    crit = sides == 20 and dice[0] == 20
    fumble = sides == 20 and dice[0] == 1
    return (
        uuid.uuid4(), f"roll-{i}", "discord", f"c:{campaign}", "1", "xdy", float(sum(dice)),
        "public", crit, fumble, json.dumps(groups), at, now, now, campaign, user, character,
    )  # fmt: skip


async def _insert_rolls(url: str, rolls: list[tuple[Any, ...]]) -> None:
    parsed = make_url(url)
    cols = ", ".join(COLUMNS)
    if parsed.get_backend_name() == "sqlite":
        conn = sqlite3.connect(str(parsed.database))
        try:
            with conn:
                marks = ", ".join("?" * len(COLUMNS))
                conn.executemany(
                    f"INSERT INTO rolls ({cols}) VALUES ({marks})",
                    [tuple(sqlite_value(v) for v in r) for r in rolls],
                )
        finally:
            conn.close()
        return
    import asyncpg

    pg = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
    try:
        marks = ", ".join(
            f"${i}::json" if c == "groups" else f"${i}" for i, c in enumerate(COLUMNS, 1)
        )
        await pg.executemany(f"INSERT INTO rolls ({cols}) VALUES ({marks})", rolls)
    finally:
        await pg.close()


async def backfill(url: str) -> float:
    """Upgrade to head (the tallies' migration fills them); return the seconds it took."""
    engine = db.create_engine(url)
    try:
        start = time.perf_counter()
        await db.upgrade(engine)
        return time.perf_counter() - start
    finally:
        await engine.dispose()


async def time_queries(url: str, seats: list[Any], repeats: int) -> dict[str, float]:
    """Ask each kind of query `repeats` times; return the median milliseconds of each."""
    settings = CoreSettings(
        database_url=url, signing_secrets=(signing.generate_secret(),), api_keys=(API_KEY,)
    )
    campaign, user, character = next(s for s in seats if s[2] is not None)
    kinds = {
        "everything": {},
        "one campaign": {"campaign_id": str(campaign)},
        "one player": {"user_id": str(user)},
        "one character": {"character_id": str(character)},
        "campaign by player": {"campaign_id": str(campaign), "group_by": "user"},
    }
    spent: dict[str, list[float]] = {k: [] for k in kinds}
    app = create_app(settings)
    async with app.router.lifespan_context(app):
        transport = httpx2.ASGITransport(app=app)
        headers = {"authorization": f"Bearer {API_KEY}"}
        async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
            for i in range(repeats + 1):
                for kind, params in kinds.items():
                    start = time.perf_counter()
                    response = await http.get("/rolls/stats", params=params, headers=headers)
                    elapsed = time.perf_counter() - start
                    if response.status_code != 200 or response.json()["truncated"]:
                        raise RuntimeError(f"{kind}: {response.status_code} {response.text}")
                    if i:  # the first round warms the caches
                        spent[kind].append(elapsed * 1000)
    return {k: statistics.median(v) for k, v in spent.items()}


async def main(args: argparse.Namespace) -> None:
    """Run every size on every backend and print a Markdown table."""
    backends: list[tuple[str, Any]] = [] if args.no_sqlite else [("SQLite", sqlite_db)]
    if not args.no_postgres:
        backends.append(("PostgreSQL", postgres_db))
    lines = []
    load = os.getloadavg()[0]
    for name, fresh in backends:
        for size in args.sizes:
            async with fresh() as url:
                seats = await populate(url, size)
                seconds = await backfill(url)
                medians = await time_queries(url, seats, args.repeats)
            log.info("%s %s rolls: backfill %.1f s, %s", name, size, seconds, medians)
            cells = " | ".join(f"{ms:.1f}" for ms in medians.values())
            lines.append(f"| {name} | {size:,} | {cells} | {seconds:.1f} |")
            load = max(load, os.getloadavg()[0])
    print(f"medians of {args.repeats} requests each; load average (1 min) up to {load:.1f}")
    print(
        "| database | rolls | everything (ms) | one campaign | one player | one character "
        "| campaign by player | backfill (s) |"
    )
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    print("\n".join(lines))


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument(
        "--sizes", type=lambda s: [int(x) for x in s.split(",")], default=[0, 100_000, 1_000_000]
    )
    parser.add_argument("--repeats", type=int, default=21)
    parser.add_argument("--no-postgres", action="store_true")
    parser.add_argument("--no-sqlite", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    asyncio.run(main(parse_args()))
