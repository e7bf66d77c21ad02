"""Rolls per second of FumbleBot's dice engine next to avrae's `d20`, and a floor.

Run through `bench/dice/run.sh`, which installs `d20` in `bench/.venv`. Every
expression of the corpus means the same thing in both dialects. Our engine runs
in three configurations: `random.Random` (seeded, as in tests), `BlockRandom`
(what the bot and the bridge use in production: OS randomness drawn in blocks)
and `random.SystemRandom` (production before `BlockRandom`). Each configuration
and `d20` roll every expression `--rolls` times per repetition, interleaved, and
the median of `--repeat` repetitions is reported. The floor of a generator is the
cost of drawing the same dice with its `randrange` and nothing else. Times are the
benchmarking thread's CPU time (`time.thread_time`, system calls included), so the
other processes of a shared machine disturb them less than wall time.
"""

from __future__ import annotations

import argparse
import os
import platform
import random
import re
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

from core_client.dice import BlockRandom, roll

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

# The one-die expressions, whose fixed cost per roll the floor ratio shows.
ONE_DIE = ["1d20", "1d20+5", "d20+7", "1d100", "1d12+3", "(1d20+5)*2", "1d20-2"]

ROOT = Path(__file__).resolve().parents[2]
DOCS = ROOT / "docs" / "benchmarks.md"
HEADING = "## Dice engine"


def timed(function: Callable[[], object], rolls: int) -> float:
    """Return the CPU seconds of this thread taken by `rolls` calls of `function`."""
    start = time.thread_time()
    for _ in range(rolls):
        function()
    return time.thread_time() - start


def floor_plan(expression: str, samples: int = 2000) -> list[int]:
    """Return the die sizes one roll draws on average (rerolls and explosions included)."""
    rng = random.Random(1)
    sizes: list[int] = []
    for _ in range(samples):
        for term in roll(expression, rng=rng).terms():
            sizes.extend(3 if die.sides == "F" else int(die.sides) for die in term.dice)
    per_roll = round(len(sizes) / samples)
    return sizes[:per_roll]


Samples = dict[str, dict[str, list[float]]]
# Our engine per generator, and the floor of each generator that matters.
OURS = {"random": "ours Random", "block": "ours BlockRandom", "system": "ours SystemRandom"}
FLOORS = {"random": "floor Random", "block": "floor BlockRandom"}


def generators() -> dict[str, random.Random]:
    """Return one generator per configuration, built once as production builds them."""
    return {"random": random.Random(2024), "block": BlockRandom(), "system": random.SystemRandom()}


def engines(expression: str, sizes: list[int]) -> dict[str, Callable[[], object]]:
    """Return what is timed for one expression: each configuration, d20 and the floors."""
    import d20  # type: ignore[import-not-found]

    rngs, floor_rngs = generators(), generators()
    found: dict[str, Callable[[], object]] = {}
    for key, name in OURS.items():
        found[name] = lambda e=expression, r=rngs[key]: roll(e, rng=r)  # type: ignore[misc]
    found["d20"] = lambda e=expression: d20.roll(e)  # type: ignore[misc]
    for key, name in FLOORS.items():
        draw = floor_rngs[key].randrange
        found[name] = lambda s=sizes, d=draw: [d(n) for n in s]  # type: ignore[misc]
    return found


def measure(rolls: int, repeat: int) -> Samples:
    """Return, per expression and engine, the seconds per roll of each repetition."""
    random.seed(2024)  # d20 draws from the module-level generator
    timed_engines = {e: engines(e, floor_plan(e)) for e in CORPUS}
    samples: Samples = {e: {name: [] for name in timed_engines[e]} for e in CORPUS}
    for _ in range(repeat):
        for expression in CORPUS:
            runs = samples[expression]
            for name, function in timed_engines[expression].items():
                runs[name].append(timed(function, rolls) / rolls)
    return samples


def paired_ratio(
    samples: Samples, numerator: str, denominator: str, corpus: list[str] | None = None
) -> float:
    """Return the median over repetitions of the ratio of whole-corpus times.

    Pairing each repetition's figures cancels most of the noise of a shared machine.
    """
    chosen = [samples[e] for e in corpus or CORPUS]
    repeats = len(chosen[0][numerator])
    ratios = []
    for index in range(repeats):
        top = sum(runs[numerator][index] for runs in chosen)
        bottom = sum(runs[denominator][index] for runs in chosen)
        ratios.append(top / bottom)
    return statistics.median(ratios)


def _load() -> str:
    return " ".join(f"{x:.2f}" for x in os.getloadavg())


def report(samples: Samples, rolls: int, repeat: int, loads: tuple[str, str]) -> str:
    """Return the Markdown section with the per-expression table and the totals."""
    results = {e: {k: statistics.median(v) for k, v in runs.items()} for e, runs in samples.items()}
    lines = [
        HEADING,
        "",
        "Rolls per second on a fixed corpus, FumbleBot's `core_client.dice.roll` (parse cache,",
        "full result tree) against avrae's `d20.roll` 1.1.2 (its own parse cache, full result",
        "tree, the module's Mersenne Twister). Ours runs with `random.Random` (tests), with",
        "`BlockRandom` (production: the bot, the bridge and `fumblebot roll`; OS randomness in",
        "8 KiB blocks, faces by rejection, see docs/dice.md) and with `random.SystemRandom`",
        "(production before, one `os.urandom` call per die). A floor is the cost of drawing",
        "the same dice with that generator's `randrange` alone: no parsing, no result tree.",
        f"Medians of {repeat} repetitions of {rolls} rolls per expression, all interleaved in",
        "one process; times are the thread's CPU time (`time.thread_time`).",
        "",
        f"Machine: {platform.python_implementation()} {platform.python_version()} on "
        f"{platform.machine()} ({platform.system()}), 2 cores shared with other engineers; "
        f"load average (1, 5, 15 min) {loads[0]} at the start, {loads[1]} at the end.",
        "",
        "| expression | Random µs | Block µs | System µs | d20 µs | floor Random µs "
        "| floor Block µs | d20 / Random | d20 / Block | Block / its floor |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for expression, r in results.items():
        ours_r, ours_b = r[OURS["random"]], r[OURS["block"]]
        lines.append(
            f"| `{expression}` | {ours_r * 1e6:.2f} | {ours_b * 1e6:.2f} | "
            f"{r[OURS['system']] * 1e6:.2f} | {r['d20'] * 1e6:.2f} | "
            f"{r[FLOORS['random']] * 1e6:.2f} | {r[FLOORS['block']] * 1e6:.2f} | "
            f"{r['d20'] / ours_r:.1f}x | {r['d20'] / ours_b:.1f}x | "
            f"{ours_b / r[FLOORS['block']]:.1f}x |"
        )
    lines += ["", *_totals(samples, results)]
    return "\n".join(lines)


def _totals(samples: Samples, results: dict[str, dict[str, float]]) -> list[str]:
    count = len(results)

    def per_roll(name: str) -> str:
        total = sum(r[name] for r in results.values())
        return f"{total * 1e6 / count:.2f} µs ({count / total:,.0f} rolls/s)"

    def ratio(top: str, bottom: str, corpus: list[str] | None = None) -> str:
        return f"{paired_ratio(samples, top, bottom, corpus):.2f}x"

    one = ", ".join(f"`{e}`" for e in ONE_DIE)
    return [
        f"Whole corpus ({count} expressions, one roll each), per roll: ours with Random "
        f"{per_roll(OURS['random'])}, with BlockRandom {per_roll(OURS['block'])}, with "
        f"SystemRandom {per_roll(OURS['system'])}; d20 {per_roll('d20')}.",
        "",
        "Medians over repetitions of the whole-corpus time ratio (target: at least 3x d20 in "
        "the production configuration):",
        "",
        f"- **Production (BlockRandom) / d20: {ratio('d20', OURS['block'])}**; "
        f"with random.Random {ratio('d20', OURS['random'])}; with SystemRandom "
        f"{ratio('d20', OURS['system'])}.",
        f"- **Cost / floor, whole corpus:** BlockRandom {ratio(OURS['block'], FLOORS['block'])}"
        f", Random {ratio(OURS['random'], FLOORS['random'])}.",
        f"- **One-die expressions ({one}), cost / floor:** BlockRandom "
        f"{ratio(OURS['block'], FLOORS['block'], ONE_DIE)}, Random "
        f"{ratio(OURS['random'], FLOORS['random'], ONE_DIE)}.",
        f"- **The generators alone:** BlockRandom's floor is "
        f"{ratio(FLOORS['block'], FLOORS['random'])} Random's.",
        "",
        "Reproduce with `bash bench/dice/run.sh --write-docs` from the repository root",
        "(it creates `bench/.venv` with this project and `d20==1.1.2`).",
        "",
    ]


def write_docs(section: str) -> None:
    """Replace (or append) the generated dice section of docs/benchmarks.md.

    Only the text up to the next heading is replaced: the other sections and the
    dice section's own subsections (fuzzing, before and after) are kept.
    """
    text = DOCS.read_text() if DOCS.exists() else "# Benchmarks\n\n"
    pattern = re.compile(rf"^{re.escape(HEADING)}\n.*?(?=^##|\Z)", re.MULTILINE | re.DOTALL)
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
    start_load = _load()
    samples = measure(args.rolls, args.repeat)
    section = report(samples, args.rolls, args.repeat, (start_load, _load()))
    print(section)
    if args.write_docs:
        write_docs(section)
        print(f"wrote {DOCS.relative_to(ROOT)}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
