"""The headline benchmark: a realistic mix of tables, events and reconnects.

Usage: `.venv/bin/python bench/bridge/mix.py --bus memory|redis [--clients 10000
--games 2000 --rate 500 --seconds 60 --reconnect 0.02]`

Clients are spread over games skewed as real tables are (sizes 1-20, most
small, a seeded draw), each token holding at most 5 streams. Posters post
chat messages to random games (weighted by table size) at `--rate` per
second for `--seconds`; meanwhile `--reconnect` of the clients drop their
connection and come back with `Last-Event-ID` (on a fresh ticket, on the
other process when there are two). On `--bus redis` two bridge processes
share one Redis and the clients and posters alternate between them.

At the end every client must have seen every event of its game exactly
once: lost and duplicated deliveries are counted, and the run exits 1 if
either is not 0. Reports delivery latency p50/p99 (POST to arrival), the
servers' RSS and the load average, as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import math
import os
import random
import signal
import sys
import time
import uuid
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import PER_TOKEN, BenchFailed, link, percentile, post, rss_kib, ticket, write_plan
from listeners import Listener, Listeners
from server import raise_fd_limit

HOST = "127.0.0.1"


def table_sizes(clients: int, games: int, rng: random.Random) -> list[int]:
    """Return `games` sizes in 1..20 summing to `clients`, most tables small."""
    sizes = [1 + int(19 * rng.random() ** 3) for _ in range(games)]
    while sum(sizes) != clients:
        i = rng.randrange(games)
        if sum(sizes) > clients and sizes[i] > 1:
            sizes[i] -= 1
        elif sum(sizes) < clients and sizes[i] < 20:
            sizes[i] += 1
    return sizes


async def start(port: int, bus: str, prefix: str, plan: str | None) -> Any:
    """Start one bridge process; return it and its hello line."""
    script = str(Path(__file__).parent / "server.py")
    args = ["--port", str(port), "--bus", bus, "--prefix", prefix]
    if plan is not None:
        args += ["--plan", plan]
    proc = await asyncio.create_subprocess_exec(
        sys.executable, script, *args, stdout=asyncio.subprocess.PIPE
    )
    assert proc.stdout is not None
    return proc, json.loads(await proc.stdout.readline())


async def run(args: argparse.Namespace) -> dict[str, Any]:
    """Run the mix; return the figures."""
    rng = random.Random(16)
    sizes = table_sizes(args.clients, args.games, rng)
    games = [f"g{i}" for i in range(args.games)]
    tokens_of = [math.ceil(s / PER_TOKEN) for s in sizes]
    plan = {
        "listeners": [[g] for g, t in zip(games, tokens_of, strict=True) for _ in range(t)],
        "posters": [games[i : i + 50] for i in range(0, len(games), 50)],
    }
    base = 20000 + os.getpid() % 9000
    ports = [base] if args.bus == "memory" else [base, base + 1]
    prefix = f"fb:bench:{uuid.uuid4().hex[:8]}"
    procs = []
    first, hello = await start(ports[0], args.bus, prefix, write_plan(plan))
    procs.append(first)
    for port in ports[1:]:
        procs.append((await start(port, args.bus, prefix, None))[0])
    try:
        return await measure(args, sizes, games, plan, hello["codes"], ports, procs)
    finally:
        for proc in procs:
            proc.send_signal(signal.SIGINT)
        for proc in procs:
            await asyncio.wait_for(proc.wait(), 30)


async def measure(
    args: argparse.Namespace,
    sizes: list[int],
    games: list[str],
    plan: dict[str, list[list[str]]],
    codes: dict[str, list[str]],
    ports: list[int],
    procs: list[Any],
) -> dict[str, Any]:
    limits = httpx2.Limits(max_connections=100)
    https = [
        httpx2.AsyncClient(base_url=f"http://{HOST}:{p}", limits=limits, timeout=60) for p in ports
    ]
    try:
        gate = asyncio.Semaphore(100)

        async def linked(i: int, code: str, platform: str) -> str:
            async with gate:
                return await link(https[i % len(https)], code, platform)

        tokens = await asyncio.gather(
            *(linked(i, c, "foundry") for i, c in enumerate(codes["listeners"]))
        )
        posters = [await linked(i, c, "roll20") for i, c in enumerate(codes["posters"])]
        # Each client: its game, its token, the process it talks to.
        clients: list[tuple[str, str, int]] = []
        token_i = 0
        for game, size in zip(games, sizes, strict=True):
            for k in range(size):
                clients.append((game, tokens[token_i + k // PER_TOKEN], len(clients) % len(ports)))
            token_i += math.ceil(size / PER_TOKEN)
        listeners = Listeners()

        async def open_one(game: str, token: str, where: int, old: Listener | None) -> Listener:
            async with gate:
                for _ in range(3):  # a refused open is retried, as a real client would
                    failed = listeners.failed
                    t = await ticket(https[where], token)
                    opened = await listeners.open(HOST, ports[where], t, old)
                    if listeners.failed == failed:
                        break
                return opened

        opened = list(await asyncio.gather(*(open_one(*c, None) for c in clients)))
        if listeners.connected != len(clients):
            why = dict(listeners.failures)
            raise BenchFailed(f"{listeners.connected} of {len(clients)} clients connected: {why}")
        posted: dict[int, str] = {}
        weights = sizes
        load_start = os.getloadavg()
        started = time.monotonic()
        chosen = rng_sample(len(clients), args.reconnect)
        reconnect_at = sorted(
            (started + 1 + random.Random(i).random() * (args.seconds - 2), i) for i in chosen
        )
        posts: set[asyncio.Task[None]] = set()
        seq = 0
        tick = 0.01
        while (now := time.monotonic()) < started + args.seconds:
            # As many posts as the rate asks by now, however late this wake-up is.
            while seq < args.rate * (now - started):
                g = random.choices(range(len(games)), weights)[0]
                posted[seq] = games[g]
                poster = posters[g // 50]
                task = asyncio.create_task(post(https[seq % len(https)], poster, seq, games[g]))
                posts.add(task)
                task.add_done_callback(posts.discard)
                seq += 1
            while reconnect_at and reconnect_at[0][0] <= now:
                _, i = reconnect_at.pop(0)
                back = asyncio.create_task(
                    reconnect(listeners, opened, clients, i, open_one, len(ports))
                )
                posts.add(back)
                back.add_done_callback(posts.discard)
            await asyncio.sleep(max(0.0, now + tick - time.monotonic()))
        await asyncio.gather(*posts)
        rss = [round(rss_kib(p.pid) / 1024, 1) for p in procs]
        deadline = time.monotonic() + 20
        expected = {g: {s for s, pg in posted.items() if pg == g} for g in games}
        while time.monotonic() < deadline:
            if all(expected[c[0]] <= opened[i].seen for i, c in enumerate(clients)):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # time for a duplicate to show up
        lost = sum(len(expected[c[0]] - opened[i].seen) for i, c in enumerate(clients))
        delays = [d for ds in listeners.delays.values() for d in ds]
        await listeners.close(opened)
        return {
            "bus": args.bus,
            "processes": len(ports),
            "clients": len(clients),
            "games": len(games),
            "table_sizes": {
                "min": min(sizes),
                "max": max(sizes),
                "median": sorted(sizes)[len(sizes) // 2],
            },
            "events": len(posted),
            "rate_per_second": round(len(posted) / args.seconds),
            "reconnects": listeners.reconnects,
            "refused_then_retried": dict(listeners.failures),
            "resets": listeners.resets,
            "deliveries": len(delays),
            "lost": lost,
            "duplicated": listeners.duplicates,
            "latency_ms_p50": round(percentile(delays, 50) * 1000, 1),
            "latency_ms_p99": round(percentile(delays, 99) * 1000, 1),
            "rss_mib": rss,
            "loadavg_start": load_start,
            "loadavg_end": os.getloadavg(),
        }
    finally:
        for http in https:
            await http.aclose()


def rng_sample(n: int, share: float) -> list[int]:
    """Return the clients that reconnect (a seeded draw)."""
    return random.Random(2).sample(range(n), round(n * share))


async def reconnect(
    listeners: Listeners,
    opened: list[Listener],
    clients: list[tuple[str, str, int]],
    i: int,
    open_one: Any,
    processes: int,
) -> None:
    """Drop client i and bring it back with Last-Event-ID, on the other process if any."""
    old = opened[i]
    await listeners.drop(old)
    await asyncio.sleep(0.2)
    game, token, where = clients[i]
    opened[i] = await open_one(game, token, (where + 1) % processes, old)


def main() -> None:
    """Run the mix once and print its figures."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--bus", choices=["memory", "redis"], default="memory")
    parser.add_argument("--clients", type=int, default=10_000)
    parser.add_argument("--games", type=int, default=2_000)
    parser.add_argument("--rate", type=float, default=500)
    parser.add_argument("--seconds", type=float, default=60)
    parser.add_argument("--reconnect", type=float, default=0.02)
    args = parser.parse_args()
    raise_fd_limit()
    import uvloop

    try:
        result = uvloop.run(run(args))
    except BenchFailed as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)
    print(json.dumps(result), flush=True)
    if result["lost"] or result["duplicated"]:
        print("BENCHMARK FAILED: events lost or duplicated", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
