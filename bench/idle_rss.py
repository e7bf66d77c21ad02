"""Idle RSS of `fumblebot run` next to a bare uvicorn + sse-starlette app.

Starts each in a fresh process (no FUMBLEBOT_ variables, a scratch data
directory, no Discord token, AI not configured), waits until it answers
HTTP, lets it settle for `--settle` seconds and reads VmRSS; `--runs` times,
interleaved, reporting medians, the ratio and the load average. `fumblebot
run` is measured twice on one data directory: its first start, which creates
and migrates Core's database (`fumblebot_run_first`), and the restart after
it, on a database already at the head revision (`fumblebot_run`), which is
every start but the first. A process that never comes up stops the run with
its stderr.

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


def measure(
    argv: list[str], urls: list[str], env: dict[str, str], settle: float, data: str
) -> float:
    """Start a process on data directory `data`, wait for each of `urls` to answer,
    settle, return its RSS; stop it."""
    proc = subprocess.Popen(
        argv, env=env | {"FUMBLEBOT_PATHS_DATA_DIR": data}, cwd=data,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
    )  # fmt: skip
    try:
        for url in urls:
            wait_answers(proc, argv, url)
        time.sleep(settle)
        return rss_mib(proc.pid)
    finally:
        proc.terminate()
        proc.wait(30)


def wait_answers(proc: subprocess.Popen[bytes], argv: list[str], url: str) -> None:
    """Poll `url` until it answers at all; stop the run if the process exits first."""
    for _ in range(1200):
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except urllib.error.HTTPError:
            return  # it answers
        except OSError:
            if proc.poll() is not None:
                assert proc.stderr is not None
                raise SystemExit(f"{argv} exited: {proc.stderr.read().decode()}") from None
            time.sleep(0.05)
    raise SystemExit(f"{argv} never answered {url}")


def measure_run(env: dict[str, str], settle: float, data: str) -> float:
    """Measure one `fumblebot run` on `data`, on free ports."""
    core, bridge = free_port(), free_port()
    run_env = env | {"FUMBLEBOT_CORE_PORT": str(core), "FUMBLEBOT_BRIDGE_PORT": str(bridge)}
    argv = [sys.executable, "-m", "bot.cli", "run"]
    # Core's /health answers once its start-up (the migration) is done.
    urls = [f"http://127.0.0.1:{port}/health" for port in (core, bridge)]
    return measure(argv, urls, run_env, settle, data)


def main() -> None:
    """Measure both, interleaved, and print the medians as JSON."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--settle", type=float, default=3.0)
    args = parser.parse_args()
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUMBLEBOT_")}
    figures: dict[str, list[float]] = {
        "fumblebot_run": [],
        "fumblebot_run_first": [],
        "uvicorn_sse_starlette": [],
    }
    load = os.getloadavg()
    for _ in range(args.runs):
        with tempfile.TemporaryDirectory() as data:
            figures["fumblebot_run_first"].append(measure_run(env, args.settle, data))
            figures["fumblebot_run"].append(measure_run(env, args.settle, data))
        port = free_port()
        argv = [sys.executable, str(HERE / "bridge" / "baseline.py"), "--port", str(port)]
        url = f"http://127.0.0.1:{port}/vtt/stream-tickets"
        with tempfile.TemporaryDirectory() as data:
            figures["uvicorn_sse_starlette"].append(measure(argv, [url], env, args.settle, data))
    medians = {k: round(statistics.median(v), 1) for k, v in figures.items()}
    ratio = medians["fumblebot_run"] / medians["uvicorn_sse_starlette"]
    result = {"rss_mib_median": medians, "runs": figures, "ratio": round(ratio, 2)}
    print(json.dumps(result | {"loadavg_before": load, "loadavg_after": os.getloadavg()}))


if __name__ == "__main__":
    main()
