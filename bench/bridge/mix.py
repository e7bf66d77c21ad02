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
import gc
import json
import math
import os
import random
import signal
import sys
import time
import uuid
from collections import Counter
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from fanout import PER_TOKEN, BenchFailed, link, percentile, rss_kib, ticket, write_plan
from listeners import Listener, Listeners
from posters import Posters
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
        background: set[asyncio.Task[Any]] = set()

        def later(coro: Any) -> None:
            task = asyncio.create_task(coro)
            background.add(task)
            task.add_done_callback(background.discard)

        index: dict[Listener, int] = {}

        def ended(listener: Listener) -> None:
            # As EventSource does: back after the retry hint, with Last-Event-ID.
            i = index[listener]
            later(come_back(i))

        async def come_back(i: int) -> None:
            await asyncio.sleep(0.5)
            opened[i] = await open_one(*clients[i], opened[i])

        listeners = Listeners(on_end=ended)
        pools = [Posters(HOST, p) for p in ports]

        async def open_one(game: str, token: str, where: int, old: Listener | None) -> Listener:
            # A refused open (a full token whose dropped stream the server has
            # not noticed yet answers 429) is retried with capped backoff, as
            # the extension's client does; a client left without a stream
            # fails the run rather than passing for lost deliveries.
            for attempt in range(12):
                async with gate:
                    failed = listeners.failed
                    t = await ticket(https[where], token)
                    opened = await listeners.open(HOST, ports[where], t, old)
                if listeners.failed == failed:
                    return opened
                await asyncio.sleep(min(2.0, 0.05 * 2**attempt))
            raise BenchFailed(f"a client of {game} could not open its stream in 12 attempts")

        opened = list(await asyncio.gather(*(open_one(*c, None) for c in clients)))
        index.update((listener, i) for i, listener in enumerate(opened))
        if listeners.connected != len(clients):
            why = dict(listeners.failures)
            raise BenchFailed(f"{listeners.connected} of {len(clients)} clients connected: {why}")
        posted: dict[int, str] = {}
        weights = sizes
        # This process is the measuring instrument: its own full collections
        # (10,000 listeners' objects) would show up as delivery latency.
        gc.collect()
        gc.freeze()
        gc.disable()
        load_start = os.getloadavg()
        cpu_start = [cpu_seconds(p.pid) for p in procs] + [cpu_seconds(os.getpid())]
        started = time.monotonic()
        chosen = rng_sample(len(clients), args.reconnect)
        reconnect_at = sorted(
            (started + 1 + random.Random(i).random() * (args.seconds - 2), i) for i in chosen
        )
        posts: list[asyncio.Task[bool]] = []
        # Server RSS once a minute while posting: what the collector's held cycles cost over time.
        rss_over_time: list[list[float]] = []
        next_sample = started
        seq = 0
        tick = 0.01
        while (now := time.monotonic()) < started + args.seconds:
            # As many posts as the rate asks by now, however late this wake-up is.
            while seq < args.rate * (now - started):
                g = random.choices(range(len(games)), weights)[0]
                posted[seq] = games[g]
                poster = posters[g // 50]
                where = seq % len(ports)
                posts.append(asyncio.create_task(pools[where].post(poster, seq, games[g])))
                seq += 1
            while reconnect_at and reconnect_at[0][0] <= now:
                _, i = reconnect_at.pop(0)
                later(reconnect(listeners, opened, clients, i, open_one, len(ports)))
            if now >= next_sample:
                rss_over_time.append([round(rss_kib(p.pid) / 1024, 1) for p in procs])
                next_sample += 60
            await asyncio.sleep(max(0.0, now + tick - time.monotonic()))
        accepted = await asyncio.gather(*posts)
        posting = time.monotonic() - started
        cpu_used = [
            cpu_seconds(pid) - before
            for pid, before in zip([p.pid for p in procs] + [os.getpid()], cpu_start, strict=True)
        ]
        # Only what the bridge accepted can be delivered; a refused post fails the run below.
        for s, ok in enumerate(accepted):
            if not ok:
                del posted[s]
        while background:
            await asyncio.gather(*background)
        rss = [round(rss_kib(p.pid) / 1024, 1) for p in procs]
        deadline = time.monotonic() + 20
        expected = {g: {s for s, pg in posted.items() if pg == g} for g in games}
        while time.monotonic() < deadline:
            if all(expected[c[0]] <= opened[i].seen for i, c in enumerate(clients)):
                break
            await asyncio.sleep(0.2)
        await asyncio.sleep(1)  # time for a duplicate to show up
        missing = [
            (i, c[0], sorted(expected[c[0]] - opened[i].seen)) for i, c in enumerate(clients)
        ]
        missing = [m for m in missing if m[2]]
        lost = sum(len(m[2]) for m in missing)
        gc.enable()
        lost_detail = [
            {
                "client": i,
                "game": game,
                "seqs": seqs[:5],
                "stream_ended_by_server": opened[i].ended,
                "reconnected": i in chosen,
            }
            for i, game, seqs in missing[:10]
        ]
        delays = [d for ds in listeners.delays.values() for d in ds]
        # p99 over each 10 s of posting (seq s was posted about s / rate seconds in).
        per_window: dict[int, list[float]] = {}
        for s, ds in listeners.delays.items():
            per_window.setdefault(int(s / args.rate // 10), []).extend(ds)
        windows = [round(percentile(ds, 99) * 1000, 1) for _, ds in sorted(per_window.items())]
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
            "streams_ended_by_server": listeners.ended,
            "posts_accepted": sum(p.sent for p in pools),
            "posts_failed": dict(sum((p.failed for p in pools), Counter())),
            "posts_retried_on_closed_keepalive": sum(p.retried for p in pools),
            "lost_detail": lost_detail,
            "deliveries": len(delays),
            "lost": lost,
            "duplicated": listeners.duplicates,
            "latency_ms_p50": round(percentile(delays, 50) * 1000, 1),
            "latency_ms_p99": round(percentile(delays, 99) * 1000, 1),
            "latency_ms_p99_per_10s": windows,
            "latency_ms_max": round(max(delays) * 1000, 1),
            # Where a delivery's time goes before the fan-out: waiting for a
            # free poster connection, then the POST's round trip.
            "post_wait_ms_p99": round(
                percentile([w for p in pools for w in p.waits], 99) * 1000, 1
            ),
            "post_round_trip_ms_p50_p99": [
                round(percentile([r for p in pools for r in p.round_trips], q) * 1000, 1)
                for q in (50, 99)
            ],
            "rss_mib": rss,
            "rss_mib_each_minute": rss_over_time,
            # Share of one core each bridge process (then this client process) used while posting.
            "cpu_share": [round(used / posting, 2) for used in cpu_used],
            "loadavg_start": load_start,
            "loadavg_end": os.getloadavg(),
        }
    finally:
        for http in https:
            await http.aclose()
        for pool in pools:
            await pool.aclose()


def cpu_seconds(pid: int) -> float:
    """Return a process's user + system CPU time so far, from /proc."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


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
    if result["lost"] or result["duplicated"] or result["posts_failed"]:
        why = "events lost or duplicated, or posts refused"
        print(f"BENCHMARK FAILED: {why}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
