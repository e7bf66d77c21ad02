"""Benchmark: what an issued key costs per request, against a key from the environment.

A configured key is found in memory; an issued key costs a read of its row
(by primary key) in a transaction of its own before the request's own, and
at most once a minute a write of `last_used_at`. Both keys read the same
campaign (`GET /campaigns/{id}`) from the same Core, in alternating rounds,
so the ratio is taken in one run under one load; the load average is printed
with it.

Run: .venv/bin/python -m bench.core.keys [--requests N] [--runs R] [--no-postgres]
"""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import statistics
import time
from collections.abc import Callable
from typing import Any

import httpx2

from bench.core.ingest import postgres_db, sqlite_db
from storage.app import create_app
from storage.settings import CoreSettings

log = logging.getLogger(__name__)

ENV_KEY = "bench-configured-key"


async def _rate(http: httpx2.AsyncClient, key: str, path: str, requests: int) -> float:
    headers = {"Authorization": f"Bearer {key}"}
    start = time.perf_counter()
    for _ in range(requests):
        response = await http.get(path, headers=headers)
        assert response.status_code == 200, response.text
    return requests / (time.perf_counter() - start)


async def measure(backend: str, fresh: Callable[[], Any], args: argparse.Namespace) -> str:
    """Alternate rounds with each key on one Core; return a Markdown table row."""
    configured, issued = [], []
    async with fresh() as url:
        app = create_app(CoreSettings(database_url=url, api_keys=(ENV_KEY,)))
        async with app.router.lifespan_context(app):
            transport = httpx2.ASGITransport(app=app)
            async with httpx2.AsyncClient(transport=transport, base_url="http://core") as http:
                admin = {"Authorization": f"Bearer {ENV_KEY}"}
                made = await http.post("/campaigns", json={"name": "Bench"}, headers=admin)
                path = f"/campaigns/{made.json()['id']}"
                key = (await http.post("/keys", json={}, headers=admin)).json()["key"]
                await _rate(http, key, path, 50)  # warm both paths
                await _rate(http, ENV_KEY, path, 50)
                for _ in range(args.runs):
                    configured.append(await _rate(http, ENV_KEY, path, args.requests))
                    issued.append(await _rate(http, key, path, args.requests))
    log.info("%s configured runs: %s", backend, [round(r) for r in configured])
    log.info("%s issued runs: %s", backend, [round(r) for r in issued])
    env, ours = statistics.median(configured), statistics.median(issued)
    return f"| {backend} | {env:,.0f} | {ours:,.0f} | {ours / env:.2f} |"


async def main(args: argparse.Namespace) -> None:
    """Run the benchmark and print a Markdown table."""
    backends: list[tuple[str, Callable[[], Any]]] = [("SQLite", sqlite_db)]
    if not args.no_postgres:
        backends.append(("PostgreSQL", postgres_db))
    rows = [await measure(name, fresh, args) for name, fresh in backends]
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(f"GET /campaigns/{{id}}, {args.requests} requests per round, median of {args.runs}")
    print(f"load average at the end: {load}")
    print("| database | configured key (req/s) | issued key (req/s) | issued / configured |")
    print("|---|---:|---:|---:|")
    for row in rows:
        print(row)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Read the command line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--requests", type=int, default=500)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--no-postgres", action="store_true")
    return parser.parse_args(argv)


if __name__ == "__main__":
    logging.basicConfig(level=logging.WARNING, format="%(message)s")
    log.setLevel(logging.INFO)
    asyncio.run(main(parse_args()))
