"""The bridge under benchmark: one process, reports discarded.

Run by `fanout.py` and `mix.py`; prints one JSON line once it listens, with
the pairing codes its plan asked for (`--plan`: a JSON file
`{"listeners": [[game, ...], ...], "posters": [[game, ...], ...]}`), so the
client process links like real extensions do: each listener code becomes
one token, which may hold `max_streams_per_token` streams. On `--bus redis`
several of these processes share one Redis (bus and state); only the one
given `--plan` makes codes.
"""

from __future__ import annotations

import argparse
import asyncio
import atexit
import collections
import contextlib
import gc
import json
import logging
import os
import resource
import statistics
import sys
import time
import tracemalloc
from collections.abc import Callable
from pathlib import Path
from types import FrameType

import uvicorn
from starlette.applications import Starlette

from bot.collector import THAW_SECONDS, short_pauses
from bridge.app import close_streams, create_app
from bridge.backends import open_backends
from bridge.bus import BusEvent
from bridge.fanout import Hub
from bridge.pairing import create_pairing_code
from bridge.settings import BridgeSettings
from core_client import Event

log = logging.getLogger(__name__)


class DiscardingReporter:
    """Drop reports: the benchmark measures fan-out, not delivery to Core."""

    async def put(self, event: Event) -> None:
        """Accept and forget an event."""


def raise_fd_limit() -> int:
    """Raise the open-file soft limit to the hard limit; return it."""
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))
    return hard


# Called when the run ends (SIGINT), before the streams close.
ON_SIGNAL: list[Callable[[], None]] = []


class _Server(uvicorn.Server):
    """Close the SSE streams first on a signal, so shutdown does not wait on them."""

    app: Starlette

    def handle_exit(self, sig: int, frame: FrameType | None) -> None:
        """End the streams, then stop as uvicorn does."""
        while ON_SIGNAL:
            ON_SIGNAL.pop()()
        close_streams(self.app)
        super().handle_exit(sig, frame)


async def make_codes(store: object, plan: dict[str, list[list[str]]]) -> dict[str, list[str]]:
    """Mint the plan's pairing codes: one per listener token and per poster token."""
    codes: dict[str, list[str]] = {}
    for role, tokens in plan.items():
        codes[role] = [
            (await create_pairing_code(store, f"{role}{i}", "bench", games, ttl=3600.0)).code  # type: ignore[arg-type]
            for i, games in enumerate(tokens)
        ]
    return codes


def time_passes(hub: Hub) -> None:
    """Time each fan-out pass (encode + write to every live stream); report them at exit."""
    deliver, passes = hub.deliver, []

    def timed(topic: str, event: BusEvent) -> None:
        started, cpu = time.perf_counter(), time.process_time()
        deliver(topic, event)
        # CPU time too: under other work's load the wall time is mostly waiting for a core.
        passes.append(
            (time.perf_counter() - started, hub_size(hub, topic), time.process_time() - cpu)
        )

    def report() -> None:
        if passes:
            ms = sorted(p[0] * 1000 for p in passes)
            widest = max(p[1] for p in passes)
            summary = {
                "passes": len(ms),
                "median_ms": round(statistics.median(ms), 2),
                "p99_ms": round(ms[int(len(ms) * 0.99) - 1], 2),
                "cpu_median_ms": round(statistics.median(p[2] * 1000 for p in passes), 2),
                "max_streams": widest,
            }
            print(json.dumps({"pass": summary}), file=sys.stderr, flush=True)

    hub.deliver = timed  # type: ignore[method-assign]
    atexit.register(report)


def time_collections() -> None:
    """Time the garbage collector's pauses by generation; report them at exit."""
    pauses: dict[int, list[float]] = {0: [], 1: [], 2: []}
    started = [0.0]

    def callback(phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            started[0] = time.perf_counter()
        else:
            pauses[info["generation"]].append(time.perf_counter() - started[0])

    def report() -> None:
        summary: dict[str, object] = {
            f"gen{g}": {"count": len(p), "max_ms": round(max(p, default=0) * 1000, 1)}
            for g, p in pauses.items()
        }
        tracked = collections.Counter(type(o).__name__ for o in gc.get_objects())
        summary["tracked"] = sum(tracked.values())
        summary["frozen"] = gc.get_freeze_count()
        summary["top"] = tracked.most_common(15)
        # What the frozen heap held that only a full pass can free (cycles),
        # and the pause a thaw costs (bot/collector.py): one pass over everything.
        summary["cyclic_garbage_unfrozen"] = gc.collect()  # what a full pass frees now
        gc.unfreeze()
        thawing = time.perf_counter()
        # What only a thaw frees: cycles held frozen (what the policy leaves waiting).
        summary["cyclic_garbage_when_thawed"] = gc.collect()
        summary["thaw_ms"] = round((time.perf_counter() - thawing) * 1000, 1)
        print(json.dumps({"gc": summary}), file=sys.stderr, flush=True)

    gc.callbacks.append(callback)
    ON_SIGNAL.append(report)  # while the streams are still open


async def watch_loop_lag(every: float = 0.01) -> None:
    """Record how late the event loop wakes a 10 ms sleep; report the worst at the end."""
    lags: list[float] = []

    def report() -> None:
        ordered = sorted(lags) or [0.0]
        summary = {
            "loop_lag_ms_p99": round(ordered[int(len(ordered) * 0.99) - 1] * 1000, 1),
            "loop_lag_ms_max": round(ordered[-1] * 1000, 1),
        }
        print(json.dumps(summary), file=sys.stderr, flush=True)

    ON_SIGNAL.append(report)
    while True:
        started = time.perf_counter()
        await asyncio.sleep(every)
        lags.append(time.perf_counter() - started - every)


def rss_kib() -> int:
    """Return this process's resident set size in KiB."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise RuntimeError("no VmRSS")


async def trace_streams(app: Starlette, path: Path) -> None:
    """Write where the Python heap grew once the streams opened (`BENCH_TRACEMALLOC=FILE`).

    A snapshot now, another once the number of open streams has stayed put
    for a second; the difference is grouped by file, line and traceback of
    the allocation, beside the RSS difference (which also holds what is not
    Python heap: uvloop's and httptools' own C allocations, malloc's slack).
    """
    before, rss_before = tracemalloc.take_snapshot(), rss_kib()
    streams, last, steady = app.state.services.streams, -1, 0
    while steady < 10:
        await asyncio.sleep(0.1)
        now = len(streams)
        steady = steady + 1 if now == last and now > 0 else 0
        last = now
    after, rss_after = tracemalloc.take_snapshot(), rss_kib()
    before.dump(f"{path}.before")  # for a closer look: tracemalloc.Snapshot.load
    after.dump(f"{path}.after")
    write_growth(path, before, after, last, rss_after - rss_before)


def write_growth(
    path: Path,
    before: tracemalloc.Snapshot,
    after: tracemalloc.Snapshot,
    streams: int,
    rss_kib: int,
) -> None:
    """Write the heap growth between two snapshots, per stream, largest first."""
    filters = [tracemalloc.Filter(False, tracemalloc.__file__)]
    before, after = before.filter_traces(filters), after.filter_traces(filters)
    rss = rss_kib * 1024 / streams
    lines = [f"streams {streams}; rss delta {rss_kib} KiB = {rss:.0f} B/stream"]
    for key in ("filename", "lineno", "traceback"):
        stats = after.compare_to(before, key)
        total = sum(s.size_diff for s in stats)
        lines.append(f"== by {key}: python heap delta {total / streams:.0f} B/stream")
        for stat in stats[: 40 if key != "traceback" else 25]:
            size, count = stat.size_diff / streams, stat.count_diff / streams
            lines.append(f"{size:8.0f} B/stream {count:6.2f} blocks")
            frames = stat.traceback.format(most_recent_first=True)
            lines.extend(frames if key == "traceback" else frames[:1])
    path.write_text("\n".join(lines) + "\n")


def hub_size(hub: Hub, topic: str) -> int:
    """Return how many streams a game has on this hub."""
    game = hub._games.get(topic)
    return len(game.connections) if game is not None else 0


async def main(args: argparse.Namespace, plan: dict[str, list[list[str]]]) -> None:
    """Serve the bridge and announce the pairing codes."""
    settings = BridgeSettings(
        event_bus=args.bus,
        redis_prefix=args.prefix,
        rate_per_second=1e6,
        rate_burst=10**6,
        link_rate_per_second=1e6,
        link_rate_burst=10**6,
        stream_window=args.window,
    )
    traced = os.environ.get("BENCH_TRACEMALLOC")
    if traced:
        tracemalloc.start(40)
    async with open_backends(settings) as backends:
        app = create_app(
            settings, reporter=DiscardingReporter(), bus=backends.bus, store=backends.store
        )
        config = uvicorn.Config(
            app,
            host="127.0.0.1",
            port=args.port,
            loop="uvloop",
            http="httptools",
            access_log=False,
            log_level="warning",
            backlog=4096,
            timeout_graceful_shutdown=5,
            timeout_keep_alive=60,
        )
        server = _Server(config)
        server.app = app
        task = asyncio.create_task(server.serve())
        while not server.started:  # noqa: ASYNC110 - uvicorn offers no event to wait on
            await asyncio.sleep(0.05)
        codes = await make_codes(backends.store, plan)
        if os.environ.get("BENCH_PASS_TIMES"):
            time_passes(app.state.services.hub)
        if os.environ.get("BENCH_GC_TIMES"):
            time_collections()
            asyncio.create_task(watch_loop_lag())  # noqa: RUF006 - runs until exit
        # As the composition root does (bot/collector.py): short full collections.
        # BENCH_GC_POLICY=freeze-once is the policy before it, for comparison.
        policy = short_pauses(float(os.environ.get("BENCH_THAW_SECONDS", THAW_SECONDS)))
        if os.environ.get("BENCH_GC_POLICY") == "freeze-once":
            gc.collect()
            gc.freeze()
            policy = contextlib.nullcontext()  # type: ignore[assignment]
        async with policy:
            print(json.dumps({"codes": codes, "fd_limit": raise_fd_limit()}), flush=True)
            if traced:
                tracer = asyncio.create_task(trace_streams(app, Path(traced)))
            await task
            if traced:
                tracer.cancel()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--bus", choices=["memory", "redis"], default="memory")
    parser.add_argument("--prefix", default="fb:bench")
    parser.add_argument("--window", type=int, default=256)
    parser.add_argument("--plan", help="JSON file of the codes to make")
    raise_fd_limit()
    if os.environ.get("BENCH_GC_THRESHOLD"):
        gc.set_threshold(*map(int, os.environ["BENCH_GC_THRESHOLD"].split(",")))
    import uvloop

    with contextlib.suppress(KeyboardInterrupt):
        args = parser.parse_args()
        plan = json.loads(Path(args.plan).read_text()) if args.plan else {}
        uvloop.run(main(args, plan))
    sys.exit(0)
