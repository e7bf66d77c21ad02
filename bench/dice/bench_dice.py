"""Rolls per second of FumbleBot's dice engine next to avrae's `d20`, and a floor.

Run through `bench/dice/run.sh`, which installs `d20` in `bench/.venv`. Every
expression of the corpus means the same thing in both dialects. Each engine rolls
the whole corpus `--rolls` times per repetition, interleaved, and the median of
`--repeat` repetitions is reported. The floor is the cost of drawing the same dice
with `randrange` and nothing else: no parsing, no result tree.
"""

from __future__ import annotations

import argparse
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from core_client.dice import roll

CORPUS = [
    "1d20",
    "1d20+5",
    "d20+7",
    "2d20kh1+7",
    "2d20kl1+3",
    "4d6kh3",
    "4d6pl1",
    "3d6",
    "2d6+3",
    "8d6",
    "10d6",
    "1d100",
    "1d8+1d6+4",
    "1d20+1d4+5",
    "2d8+2d6+5",
    "1d12+3",
    "3d8+5",
    "4d8+4",
    "2d10+1d8+4",
    "(1d20+5)*2",
    "1d20-2",
    "6d6e6",
    "8d6rr1",
    "8d6ro1",
    "4d6mi2",
]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Dice engine"


def timed(function: Callable[[], object], rolls: int) -> float:
    """Return the seconds taken by `rolls` calls of `function`."""
    start = time.perf_counter()
    for _ in range(rolls):
        function()
    return time.perf_counter() - start


def floor_plan(expression: str, samples: int = 2000) -> list[int]:
    """Return the die sizes one roll draws on average (rerolls and explosions included)."""
    rng = random.Random(1)
    sizes: list[int] = []
    for _ in range(samples):
        for term in roll(expression, rng=rng).terms():
            sizes.extend(int(die.sides) for die in term.dice)
    per_roll = round(len(sizes) / samples)
    return sizes[:per_roll]


Samples = dict[str, dict[str, list[float]]]


def measure(rolls: int, repeat: int) -> Samples:
    """Return, per expression and engine, the seconds per roll of each repetition."""
    import d20  # type: ignore[import-not-found]

    ours_rng = random.Random(2024)
    random.seed(2024)  # d20 draws from the module-level generator
    floor_rng = random.Random(2024)
    plans = {e: floor_plan(e) for e in CORPUS}
    samples: Samples = {e: {"ours": [], "d20": [], "floor": []} for e in CORPUS}
    draw = floor_rng.randrange
    for _ in range(repeat):
        for expression in CORPUS:
            sizes = plans[expression]
            runs = samples[expression]
            engines: dict[str, Callable[[], object]] = {
                "ours": lambda e=expression: roll(e, rng=ours_rng),  # type: ignore[misc]
                "d20": lambda e=expression: d20.roll(e),  # type: ignore[misc]
                "floor": lambda s=sizes: [draw(n) for n in s],  # type: ignore[misc]
            }
            for name, function in engines.items():
                runs[name].append(timed(function, rolls) / rolls)
    return samples


def paired_ratio(samples: Samples, numerator: str, denominator: str) -> float:
    """Return the median over repetitions of the ratio of whole-corpus times.

    Pairing each repetition's figures cancels most of the noise of a shared machine.
    """
    repeats = len(next(iter(samples.values()))[numerator])
    ratios = []
    for index in range(repeats):
        top = sum(runs[numerator][index] for runs in samples.values())
        bottom = sum(runs[denominator][index] for runs in samples.values())
        ratios.append(top / bottom)
    return statistics.median(ratios)


def report(samples: Samples, rolls: int, repeat: int) -> str:
    """Return the Markdown section with the per-expression table and the totals."""
    results = {e: {k: statistics.median(v) for k, v in runs.items()} for e, runs in samples.items()}
    lines = [
        HEADING,
        "",
        "Rolls per second on a fixed corpus, FumbleBot's `core_client.dice.roll` (parse cache,",
        "full result tree) against avrae's `d20.roll` 1.1.2 (its own parse cache, full result",
        "tree), and a floor: drawing the same dice with `random.Random.randrange` alone.",
        f"Medians of {repeat} repetitions of {rolls} rolls per expression, engines interleaved.",
        "",
        f"Machine: {platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()} ({platform.system()}).",
        "",
        "| expression | ours µs | d20 µs | floor µs | ours vs d20 | ours / floor |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for expression, r in results.items():
        lines.append(
            f"| `{expression}` | {r['ours'] * 1e6:.2f} | {r['d20'] * 1e6:.2f} | "
            f"{r['floor'] * 1e6:.2f} | {r['d20'] / r['ours']:.1f}x | "
            f"{r['ours'] / r['floor']:.1f}x |"
        )
    ours = sum(r["ours"] for r in results.values())
    theirs = sum(r["d20"] for r in results.values())
    floor = sum(r["floor"] for r in results.values())
    count = len(results)
    lines += [
        "",
        f"Whole corpus ({count} expressions, one roll each): ours {ours * 1e6 / count:.2f} µs "
        f"per roll ({count / ours:,.0f} rolls/s), d20 {theirs * 1e6 / count:.2f} µs "
        f"({count / theirs:,.0f} rolls/s), floor {floor * 1e6 / count:.2f} µs.",
        "",
        f"- **Throughput ours / d20: {paired_ratio(samples, 'd20', 'ours'):.2f}x** "
        "(median over repetitions of the whole-corpus time ratio; target: at least 3x).",
        f"- **Cost ours / floor: {paired_ratio(samples, 'ours', 'floor'):.2f}x** the bare "
        "cost of drawing the same dice.",
        "",
        "Reproduce with `bash bench/dice/run.sh --write-docs` from the repository root",
        "(it creates `bench/.venv` with this project and `d20==1.1.2`).",
        "",
    ]
    return "\n".join(lines)


def write_docs(section: str) -> None:
    """Replace (or append) the dice section of docs/benchmarks.md, keeping the others."""
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^## |\Z)", re.MULTILINE | re.DOTALL)
    if pattern.search(text):
        text = pattern.sub(lambda _: section + "\n", text, count=1)
    else:
        text = text.rstrip("\n") + "\n\n" + section + "\n"
    DOCS.parent.mkdir(parents=True, exist_ok=True)
    DOCS.write_text(text.rstrip("\n") + "\n")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print (and optionally record) the results."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rolls", type=int, default=2000, help="rolls per timing")
    parser.add_argument("--repeat", type=int, default=7, help="repetitions (median)")
    parser.add_argument("--write-docs", action="store_true", help="update docs/benchmarks.md")
    args = parser.parse_args(argv)
    section = report(measure(args.rolls, args.repeat), args.rolls, args.repeat)
    print(section)
    if args.write_docs:
        write_docs(section)
        print(f"wrote {DOCS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
