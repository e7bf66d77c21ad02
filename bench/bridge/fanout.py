"""Benchmark the bridge's SSE fan-out: N clients, latency, throughput, memory.

Usage: `.venv/bin/python bench/bridge/fanout.py --clients 1000 10000`

For each N it starts one bridge process (bench/bridge/server.py), links two
extensions like real ones do, opens N SSE streams from this process, then:
- latency: posts `--events` chat messages one at a time and records, for each,
  the delay from just before the POST to its arrival at every client (p50, p99);
- throughput: posts `--burst` messages at once and counts deliveries per second
  from the first POST to the last arrival;
- memory: the server's RSS with N idle streams minus its RSS before, over N.
Times are `time.monotonic()`, one clock for both processes on Linux.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import os
import signal
import sys
import time
from pathlib import Path
from typing import Any

import httpx2

sys.path.insert(0, str(Path(__file__).resolve().parent))
from listeners import Listeners
from server import raise_fd_limit

HOST = "127.0.0.1"
PROFILE = os.environ.get("BENCH_PROFILE", "").split()


def rss_kib(pid: int) -> int:
    """Return a process's resident set size in KiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


def percentile(values: list[float], q: float) -> float:
    """Return the q-th percentile (0-100) by nearest rank."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


async def link(http: httpx2.AsyncClient, code: str, platform: str) -> str:
    """Link an extension with a pairing code; return its token."""
    body = {"code": code, "platform": platform, "player_id": f"bench-{platform}"}
    response = await http.post("/vtt/accounts/link", json=body)
    response.raise_for_status()
    return str(response.json()["token"])


async def connect(http: httpx2.AsyncClient, token: str, port: int, n: int) -> Listeners:
    """Open n SSE streams, each with its own ticket."""
    listeners = Listeners()
    auth = {"Authorization": f"Bearer {token}"}
    gate = asyncio.Semaphore(200)

    async def one() -> None:
        async with gate:
            for attempt in range(5):
                try:
                    response = await http.post("/vtt/stream-tickets", headers=auth)
                    break
                except httpx2.TransportError:  # a pooled connection the server closed
                    await asyncio.sleep(0.1 * (attempt + 1))
            else:
                raise RuntimeError("could not get a stream ticket")
            await listeners.open(HOST, port, response.json()["ticket"])

    await asyncio.gather(*(one() for _ in range(n)))
    return listeners


async def post(http: httpx2.AsyncClient, token: str, seq: int) -> None:
    """Post one marked chat message."""
    text = f"bench:{seq}:{time.monotonic():.6f};"
    response = await http.post(
        "/vtt/chat",
        json={"game_id": "g1", "text": text},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()


async def wait_for(listeners: Listeners, seqs: range, n: int, timeout: float) -> None:
    """Wait until every listener saw every seq, or the timeout passes."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if all(listeners.received(s) >= n for s in seqs):
            return
        await asyncio.sleep(0.005)


async def run(n: int, events: int, burst: int, gap: float) -> dict[str, Any]:
    """Benchmark one N; return the figures."""
    port = 20000 + os.getpid() % 10000
    script = str(Path(__file__).parent / "server.py")
    server = await asyncio.create_subprocess_exec(
        sys.executable, *PROFILE, script, "--port", str(port), stdout=asyncio.subprocess.PIPE
    )
    try:
        assert server.stdout is not None
        hello = json.loads(await server.stdout.readline())
        limits = httpx2.Limits(max_connections=200)
        async with httpx2.AsyncClient(
            base_url=f"http://{HOST}:{port}", limits=limits, timeout=60
        ) as http:
            listener = await link(http, hello["codes"]["listener"], "foundry")
            poster = await link(http, hello["codes"]["poster"], "roll20")
            await asyncio.sleep(1)
            before = rss_kib(server.pid)
            started = time.monotonic()
            listeners = await connect(http, listener, port, n)
            connect_s = time.monotonic() - started
            await asyncio.sleep(2)
            after = rss_kib(server.pid)
            # Keep this process's GC pauses out of the measured delays.
            gc.collect()
            gc.freeze()
            for seq in range(events):
                await post(http, poster, seq)
                await wait_for(listeners, range(seq, seq + 1), listeners.connected, 10)
                await asyncio.sleep(gap)
            delays = [d for s in range(events) for d in listeners.delays[s]]
            first = time.monotonic()
            seqs = range(events, events + burst)
            await asyncio.gather(*(post(http, poster, s) for s in seqs))
            await wait_for(listeners, seqs, listeners.connected, 60)
            delivered = sum(listeners.received(s) for s in seqs)
            await listeners.close()
        return {
            "clients": n,
            "connected": listeners.connected,
            "failed": listeners.failed,
            "connect_seconds": round(connect_s, 1),
            "latency_ms_p50": round(percentile(delays, 50) * 1000, 1),
            "latency_ms_p99": round(percentile(delays, 99) * 1000, 1),
            "latency_ms_max": round(max(delays) * 1000, 1),
            "per_event_ms": [
                (round(min(listeners.delays[s]) * 1000), round(max(listeners.delays[s]) * 1000))
                for s in range(events)
            ],
            "deliveries_expected": events * n,
            "deliveries_seen": len(delays),
            "burst_deliveries": delivered,
            "deliveries_per_second": round(delivered / max(1e-9, _elapsed(listeners, seqs, first))),
            "rss_before_mib": round(before / 1024, 1),
            "rss_after_mib": round(after / 1024, 1),
            "kib_per_connection": round((after - before) / max(1, listeners.connected), 1),
        }
    finally:
        server.send_signal(signal.SIGINT)  # a graceful stop, so a profile is written
        await asyncio.wait_for(server.wait(), 30)


def _elapsed(listeners: Listeners, seqs: range, first: float) -> float:
    """Return the time from the first burst POST to the last arrival."""
    return max((listeners.last_arrival.get(s, first) for s in seqs), default=first) - first


def main() -> None:
    """Run the benchmark for each N and print the figures as JSON lines."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--clients", type=int, nargs="+", default=[1000, 10000])
    parser.add_argument("--events", type=int, default=30)
    parser.add_argument("--burst", type=int, default=50)
    parser.add_argument("--gap", type=float, default=0.2)
    args = parser.parse_args()
    raise_fd_limit()
    import uvloop

    for n in args.clients:
        print(json.dumps(uvloop.run(run(n, args.events, args.burst, args.gap))), flush=True)


if __name__ == "__main__":
    main()
