"""Wall time of the light `fumblebot` commands, next to a bare interpreter's.

Runs `python -c pass`, `fumblebot roll 1d20` and `fumblebot check-config`
`--runs` times each, interleaved (so a burst of load on this shared box hits
all three alike), each in a fresh process from a scratch directory with no
FUMBLEBOT_ variables set, and prints the median wall time, the ratio to
`python -c pass` and the load average before and after. A command that
fails stops the run with its stderr: a fast error is not a result.

    .venv/bin/python bench/startup.py --runs 21
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Mapping, Sequence
from pathlib import Path

TARGET_SECONDS = 0.5  # for the fumblebot commands (issue #10)


def fumblebot() -> list[str]:
    """Return how to run the `fumblebot` entry point of this interpreter's environment."""
    script = Path(sys.executable).with_name("fumblebot")
    if script.exists():
        return [str(script)]
    found = shutil.which("fumblebot")
    return [found] if found else [sys.executable, "-m", "bot.cli"]


def commands() -> dict[str, list[str]]:
    """Return each measured command line by its label."""
    cli = fumblebot()
    return {
        "python -c pass": [sys.executable, "-c", "pass"],
        "fumblebot roll 1d20": [*cli, "roll", "1d20"],
        "fumblebot check-config": [*cli, "check-config"],
    }


def run_once(argv: Sequence[str], cwd: Path, env: Mapping[str, str]) -> float:
    """Return the wall seconds of one run of `argv`; exit loudly if it fails."""
    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, env=env, capture_output=True, text=True)
    elapsed = time.perf_counter() - start
    if done.returncode != 0:
        sys.exit(f"{' '.join(argv)} exited {done.returncode}:\n{done.stderr}")
    return elapsed


def measure(runs: int) -> dict[str, list[float]]:
    """Return every run's wall time per command, the commands interleaved."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("FUMBLEBOT_")}
    samples: dict[str, list[float]] = {label: [] for label in commands()}
    with tempfile.TemporaryDirectory() as scratch:
        env["FUMBLEBOT_PATHS_DATA_DIR"] = scratch
        cwd = Path(scratch)
        for argv in commands().values():
            run_once(argv, cwd, env)  # warm the page cache and .pyc files
        for _ in range(runs):
            for label, argv in commands().items():
                samples[label].append(run_once(argv, cwd, env))
    return samples


def report(samples: Mapping[str, list[float]], load: tuple[float, float]) -> str:
    """Return the results as a Markdown table and a summary line."""
    base = statistics.median(samples["python -c pass"])
    lines = [
        f"CPython {platform.python_version()} on {platform.machine()} ({platform.system()}), "
        f"{len(next(iter(samples.values())))} runs each; "
        f"load average {load[0]:.2f} before, {load[1]:.2f} after.",
        "",
        "| command | median ms | min ms | max ms | / python -c pass |",
        "|---|---:|---:|---:|---:|",
    ]
    for label, times in samples.items():
        median = statistics.median(times)
        lines.append(
            f"| `{label}` | {median * 1000:.0f} | {min(times) * 1000:.0f} "
            f"| {max(times) * 1000:.0f} | {median / base:.1f}x |"
        )
    slow = [
        label
        for label, times in samples.items()
        if label.startswith("fumblebot") and statistics.median(times) >= TARGET_SECONDS
    ]
    verdict = f"over {TARGET_SECONDS} s: {', '.join(slow)}" if slow else "all under target"
    lines += ["", f"Target: each fumblebot command under {TARGET_SECONDS} s median ({verdict})."]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Measure and print; return 0 unless a command failed (which exits earlier)."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=11, help="runs per command (median)")
    args = parser.parse_args(argv)
    before = os.getloadavg()[0]
    samples = measure(args.runs)
    print(report(samples, (before, os.getloadavg()[0])))
    return 0


if __name__ == "__main__":
    sys.exit(main())
