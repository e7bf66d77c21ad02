"""Idle RSS of `fumblebot run` next to a bare uvicorn + sse-starlette app.

Starts each in a fresh process (no FUMBLEBOT_ variables, a scratch data
directory, no Discord token, AI not configured), waits until it answers
HTTP, lets it settle for `--settle` seconds and reads VmRSS; `--runs` times,
interleaved, reporting medians, the ratio and the load average. A process
that never comes up stops the run with its stderr.

    .venv/bin/python bench/idle_rss.py --runs 3
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from pathlib import Path

HERE = Path(__file__).resolve().parent


def free_port() -> int:
    """Return a free loopback port."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def rss_mib(pid: int) -> float:
    """Return a process's resident set size in MiB."""
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1]) / 1024
    raise RuntimeError("no VmRSS")


def measure(argv: list[str], url: str, env: dict[str, str], settle: float) -> float:
    """Start a process, wait for `url` to answer, settle, return its RSS; stop it."""
    with tempfile.TemporaryDirectory() as scratch:
        proc = subprocess.Popen(
            argv, env=env | {"FUMBLEBOT_PATHS_DATA_DIR": scratch}, cwd=scratch,
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        )  # fmt: skip
        try:
            for _ in range(1200):
                try:
                    urllib.request.urlopen(url, timeout=1)
                    break
                except urllib.error.HTTPError:
                    break  # it answers
                except OSError:
                    if proc.poll() is not None:
                        raise SystemExit(f"{argv} exited: {proc.stderr.read().decode()}") from None
                    time.sleep(0.05)
            else:
                raise SystemExit(f"{argv} never answered {url}")
            time.sleep(settle)
            return rss_mib(proc.pid)
        finally:
            proc.terminate()
            proc.wait(30)


def main() -> None:
    """Measure both, interleaved, and print the medians as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUMBLEBOT_")}
    figures: dict[str, list[float]] = {"fumblebot_run": [], "uvicorn_sse_starlette": []}
    load = os.getloadavg()
    for _ in range(args.runs):
        core, bridge = free_port(), free_port()
        run_env = env | {"FUMBLEBOT_CORE_PORT": str(core), "FUMBLEBOT_BRIDGE_PORT": str(bridge)}
        argv = [sys.executable, "-m", "bot.cli", "run"]
        url = f"http://127.0.0.1:{bridge}/health"
        figures["fumblebot_run"].append(measure(argv, url, run_env, args.settle))
        port = free_port()
        argv = [sys.executable, str(HERE / "bridge" / "baseline.py"), "--port", str(port)]
        url = f"http://127.0.0.1:{port}/vtt/stream-tickets"
        figures["uvicorn_sse_starlette"].append(measure(argv, url, env, args.settle))
    medians = {k: round(statistics.median(v), 1) for k, v in figures.items()}
    ratio = medians["fumblebot_run"] / medians["uvicorn_sse_starlette"]
    result = {"rss_mib_median": medians, "runs": figures, "ratio": round(ratio, 2)}
    print(json.dumps(result | {"loadavg_before": load, "loadavg_after": os.getloadavg()}))


if __name__ == "__main__":
    main()
