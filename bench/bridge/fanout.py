"""Benchmark SSE fan-out: N clients, latency, throughput, memory, bridge vs baseline.

Usage: `.venv/bin/python bench/bridge/fanout.py --clients 1000 10000`

For each N, in the same run, it starts the bridge (bench/bridge/server.py)
and then a plain sse-starlette broadcast app (bench/bridge/baseline.py),
each in its own process; this process is the clients. Against each:
- links ceil(N / max_streams_per_token) listener tokens (a token may hold
  only 5 streams) and opens N SSE streams;
- latency: posts `--events` chat messages one at a time; for each, the delay
  from just before the POST until the last client has it, and every delivery;
- throughput: posts `--burst` messages at once and counts deliveries per
  second from the first POST to the last arrival;
- memory: the server's RSS with N idle streams minus its RSS before, over N.
It checks that all N clients connected and every event reached every client
exactly once, and exits 1 saying what failed otherwise. Times are
`time.monotonic()`, one clock for both processes on Linux. Prints one JSON
line per (N, server), then the ratios.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import os
import signal
import statistics
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from listeners import Listener, Listeners
from server import raise_fd_limit

from bridge.settings import BridgeSettings

HOST = "127.0.0.1"
PROFILE = os.environ.get("BENCH_PROFILE", "").split()
PER_TOKEN = BridgeSettings().max_streams_per_token


class BenchFailed(Exception):
    """The run did not measure what it says (clients missing, events lost or repeated)."""


def rss_kib(pid: int) -> int:
    """Return a process's resident set size in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, math.ceil(q / 100 * len(ordered)) - 1))]


async def link(http: httpx2.AsyncClient, code: str, platform: str) -> str:
    """Link an extension with a pairing code; return its token."""
    body = {"code": code, "platform": platform, "player_id": f"bench-{platform}"}
    response = await http.post("/vtt/accounts/link", json=body)
    response.raise_for_status()
    return str(response.json()["token"])


async def ticket(http: httpx2.AsyncClient, token: str) -> str:
    """Get a stream ticket, retrying a pooled connection the server closed."""
    for attempt in range(5):
        try:
            response = await http.post(
                "/vtt/stream-tickets", headers={"Authorization": f"Bearer {token}"}
            )
            response.raise_for_status()
            return str(response.json()["ticket"])
        except httpx2.TransportError:
            await asyncio.sleep(0.1 * (attempt + 1))
    raise BenchFailed("could not get a stream ticket")


async def connect(
    http: httpx2.AsyncClient, tokens: list[str], port: int, listeners: Listeners
) -> list[Listener]:
    """Open one stream per token slot, PER_TOKEN per token."""
    gate = asyncio.Semaphore(200)

    async def one(token: str) -> Listener:
        async with gate:
            for _ in range(3):  # a refused open is retried, as a real client would
                opened = await listeners.open(HOST, port, await ticket(http, token))
                # Its own outcome: another open failing meanwhile is not this one's.
                if opened.task is not None:
                    return opened
            return opened

    return list(await asyncio.gather(*(one(t) for t in tokens)))


async def post(http: httpx2.AsyncClient, token: str, seq: int, game: str = "g1") -> None:
    """Post one marked chat message."""
    text = f"bench:{seq}:{time.monotonic():.6f};"
    response = await http.post(
        "/vtt/chat",
        json={"game_id": game, "text": text},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()


async def wait_for(listeners: Listeners, seqs: range, n: int, timeout: float) -> None:
    """Wait until every listener saw every seq, or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(listeners.received(s) >= n for s in seqs):
            return
        await asyncio.sleep(0.002)


def write_plan(plan: dict[str, list[list[str]]]) -> str:
    """Write the codes a bridge process should make; return the file's path."""
    path = Path(tempfile.mkstemp(suffix=".json")[1])
    path.write_text(json.dumps(plan))
    return str(path)


async def start(kind: str, port: int, n: int) -> tuple[asyncio.subprocess.Process, Any]:
    """Start the server under test; return it and its hello line."""
    here = Path(__file__).parent
    args = ["--port", str(port)]
    if kind == "bridge":
        plan = {"listeners": [["g1"]] * math.ceil(n / PER_TOKEN), "posters": [["g1"]]}
        args += ["--plan", write_plan(plan)]
    script = str(here / ("server.py" if kind == "bridge" else "baseline.py"))
    server = await asyncio.create_subprocess_exec(
        sys.executable, *PROFILE, script, *args, stdout=asyncio.subprocess.PIPE
    )
    assert server.stdout is not None
    return server, json.loads(await server.stdout.readline())


async def run(kind: str, n: int, events: int, burst: int, gap: float) -> dict[str, Any]:
    """Benchmark one server at one N; return the figures."""
    port = 20000 + (os.getpid() + (kind == "baseline")) % 10000
    server, hello = await start(kind, port, n)
    try:
        limits = httpx2.Limits(max_connections=200)
        async with httpx2.AsyncClient(
            base_url=f"http://{HOST}:{port}", limits=limits, timeout=60
        ) as http:
            codes = hello["codes"]
            if kind == "bridge":
                tokens = [await link(http, c, "foundry") for c in codes["listeners"]]
                poster = await link(http, codes["posters"][0], "roll20")
            else:
                tokens, poster = ["t"], "t"
            slots = [tokens[i // PER_TOKEN % len(tokens)] for i in range(n)]
            await asyncio.sleep(1)
            before = rss_kib(server.pid)
            started = time.monotonic()
            listeners = Listeners()
            opened = await connect(http, slots, port, listeners)
            connect_s = time.monotonic() - started
            if listeners.connected != n:
                why = dict(listeners.failures)
                raise BenchFailed(f"{kind}: {listeners.connected} of {n} clients connected: {why}")
            await asyncio.sleep(2)
            after = rss_kib(server.pid)
            # Keep this process's GC pauses out of the measured delays.
            gc.collect()
            gc.freeze()
            last: list[float] = []
            for seq in range(events):
                await post(http, poster, seq)
                await wait_for(listeners, range(seq, seq + 1), n, 30)
                last.append(max(listeners.delays[seq], default=math.inf))
                await asyncio.sleep(gap)
            delays = [d for s in range(events) for d in listeners.delays[s]]
            first = time.monotonic()
            seqs = range(events, events + burst)
            await asyncio.gather(*(post(http, poster, s) for s in seqs))
            await wait_for(listeners, seqs, n, 60)
            delivered = sum(listeners.received(s) for s in seqs)
            elapsed = max((listeners.last_arrival.get(s, first) for s in seqs), default=first)
            await asyncio.sleep(0.5)  # time for a duplicate to show up
            await listeners.close(opened)
        check(kind, n, events + burst, listeners)
        return {
            "server": kind,
            "clients": n,
            "connected": listeners.connected,
            "connect_seconds": round(connect_s, 1),
            "refused_then_retried": dict(listeners.failures),
            "last_client_ms_median": round(statistics.median(last) * 1000, 1),
            "last_client_ms_p99": round(percentile(last, 99) * 1000, 1),
            "delivery_ms_p50": round(percentile(delays, 50) * 1000, 1),
            "delivery_ms_p99": round(percentile(delays, 99) * 1000, 1),
            "deliveries": len(delays) + delivered,
            "duplicates": listeners.duplicates,
            "burst_deliveries_per_second": round(delivered / max(1e-9, elapsed - first)),
            "rss_before_mib": round(before / 1024, 1),
            "rss_after_mib": round(after / 1024, 1),
            "kib_per_connection": round((after - before) / n, 1),
            "loadavg": os.getloadavg(),
        }
    finally:
        server.send_signal(signal.SIGINT)  # a graceful stop, so a profile is written
        await asyncio.wait_for(server.wait(), 30)


def check(kind: str, n: int, events: int, listeners: Listeners) -> None:
    """Fail loudly unless every event reached every client exactly once."""
    missing = {s: n - listeners.received(s) for s in range(events) if listeners.received(s) != n}
    if missing:
        raise BenchFailed(f"{kind}: events not delivered to every client: {missing}")
    if listeners.duplicates:
        raise BenchFailed(f"{kind}: {listeners.duplicates} duplicate deliveries")


def ratios(bridge: dict[str, Any], baseline: dict[str, Any]) -> dict[str, Any]:
    """Return bridge / baseline for each figure."""
    keys = [
        "last_client_ms_median",
        "last_client_ms_p99",
        "delivery_ms_p99",
        "burst_deliveries_per_second",
        "kib_per_connection",
    ]
    return {
        "clients": bridge["clients"],
        "ratio_bridge_over_baseline": {
            k: round(bridge[k] / baseline[k], 2) if baseline[k] else None for k in keys
        },
    }


def main() -> None:
    """Run the benchmark for each N and print the figures as JSON lines."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.2)
    parser.add_argument("--only", choices=["bridge", "baseline"])
    args = parser.parse_args()
    raise_fd_limit()
    import uvloop

    try:
        for n in args.clients:
            results = {}
            for kind in ("bridge", "baseline"):
                if args.only in (None, kind):
                    results[kind] = uvloop.run(run(kind, n, args.events, args.burst, args.gap))
                    print(json.dumps(results[kind]), flush=True)
            if len(results) == 2:
                print(json.dumps(ratios(results["bridge"], results["baseline"])), flush=True)
    except BenchFailed as exc:
        print(f"BENCHMARK FAILED: {exc}", file=sys.stderr, flush=True)
        sys.exit(1)


if __name__ == "__main__":
    main()
