"""Fuzz every public entry point of the dice engine; assert bounded, DiceError-only work.

For each generated input (grammar-built dice expressions, mutated and padded, up to
`Limits.max_input_length` characters) it calls `roll`, `roll_inline`, `distribution`,
`bounds` and `render_markdown`, and checks two properties of each call:

- it returns or raises a `DiceError` subclass, nothing else;
- it takes at most `--budget-ms` of CPU time (`time.process_time`), cold: the
  parse cache is cleared before every case. A case over budget is measured twice
  more and judged by its fastest run, so a pause of the shared machine or of the
  garbage collector (frozen between batches) is not blamed on the input.

Usage: `python -m bench.dice.fuzz --cases 1000000 [--seed N]` from the repository
root. It prints progress, the slowest cases and exits non-zero on any violation.
The suite runs `exercise` on Hypothesis-generated inputs (tests/core_client/dice).
"""

from __future__ import annotations

import argparse
import gc
import random
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass

from core_client.dice import (
    DEFAULT_LIMITS,
    DiceError,
    bounds,
    distribution,
    render_markdown,
    roll,
    roll_inline,
)
from core_client.dice import program as _program

MODIFIERS = [
    "k", "kh", "kl", "d", "dh", "dl", "ph", "pl", "r", "ro", "rr", "!", "!!", "!p",
    "x", "xo", "e", "cs", "cf", "mi", "ma", "min", "max", "s", "sa", "sd", "m", "mt",
    ">", "<", "=", ">=", "<=", "f", "t",
]  # fmt: skip
COMPARES = ["", ">", "<", "=", ">=", "<="]
NOISE = "0123456789dDfF%+-*/(){}[],.!<>=khlrpoxemtcsai \t_?#@\\'\"`~^&|$\u00e9\U0001f3b2"


def number(rng: random.Random) -> str:
    """Return a literal: mostly small, sometimes huge or fractional."""
    roll_ = rng.random()
    if roll_ < 0.7:
        return str(rng.choice([0, 1, 2, 3, 4, 5, 6, 8, 10, 12, 20, 100]))
    if roll_ < 0.85:
        return str(rng.randrange(10 ** rng.randrange(1, 8)))
    if roll_ < 0.95:
        return "9" * rng.randrange(1, 110)
    return f"{rng.randrange(100)}.{rng.randrange(100)}"


def modifier(rng: random.Random) -> str:
    """Return one dice modifier, with or without its number."""
    name = rng.choice(MODIFIERS)
    if rng.random() < 0.2:
        return name
    return name + rng.choice(COMPARES) + number(rng)


def expression(rng: random.Random, depth: int = 0) -> str:
    """Return a random, mostly well-formed dice expression."""
    choice = rng.random() if depth < 6 else rng.random() * 0.45
    if choice < 0.2:
        return number(rng)
    if choice < 0.45:
        count = "" if rng.random() < 0.2 else number(rng)
        sides = rng.choice([number(rng), "%", "F", f"({expression(rng, depth + 1)})"])
        mods = "".join(modifier(rng) for _ in range(rng.choice([0, 0, 1, 1, 2, 3, 6])))
        return f"{count}d{sides}{mods}"
    if choice < 0.6:
        op = rng.choice(["+", "-", "*", "/", "%", "**", " + ", "+"])
        return expression(rng, depth + 1) + op + expression(rng, depth + 1)
    if choice < 0.7:
        items = ",".join(expression(rng, depth + 1) for _ in range(rng.randrange(1, 4)))
        mods = "".join(modifier(rng) for _ in range(rng.choice([0, 1, 1, 2])))
        return "{" + items + "}" + mods
    if choice < 0.78:
        return f"({expression(rng, depth + 1)})"
    if choice < 0.84:
        name = rng.choice(["floor", "ceil", "round", "abs"])
        return f"{name}({expression(rng, depth + 1)})"
    if choice < 0.9:
        return f"[[{expression(rng, depth + 1)}]]"
    if choice < 0.95:
        return expression(rng, depth + 1) + f"[{rng.choice(['fire', '', 'x y'])}]"
    return rng.choice(["-", "+"]) + expression(rng, depth + 1)


def repeated(rng: random.Random, limit: int) -> str:
    """Return a long input made of one piece repeated, the shape of most slow inputs."""
    piece = rng.choice(
        [
            "(", "{", "[[", "-", "2**", "floor(", "1d6!+", "d2+", "1d20+", "1d6r1!+",
            "{1d6,", "1+", "9" * 50 + "*", "1d1000!p+", "d%>50+", "4d6kh3", "[[1d6]]",
        ]
    )  # fmt: skip
    text = piece * (limit // len(piece) + 1)
    cut = rng.randrange(limit // 2, limit + 1)
    return (text[:cut] + expression(rng))[:limit]


def mutate(text: str, rng: random.Random) -> str:
    """Insert, delete or replace a few characters."""
    chars = list(text)
    for _ in range(rng.randrange(1, 4)):
        where = rng.randrange(len(chars) + 1)
        action = rng.random()
        if action < 0.4 or not chars:
            chars.insert(where, rng.choice(NOISE))
        elif action < 0.7 and where < len(chars):
            del chars[where]
        elif where < len(chars):
            chars[where] = rng.choice(NOISE)
    return "".join(chars)


def generate(rng: random.Random, limit: int = DEFAULT_LIMITS.max_input_length) -> str:
    """Return one fuzz input of at most `limit` characters."""
    kind = rng.random()
    if kind < 0.1:
        return repeated(rng, limit)
    text = expression(rng)
    if kind < 0.35:
        text = mutate(text, rng)
    if kind > 0.9:
        text = f"{text} {rng.choice(['Attack', 'k3', 't4', '4d6', 'fire damage', ''])}"
    return text[:limit]


@dataclass(frozen=True, slots=True)
class Finding:
    """One call of one entry point: how long it took, and what escaped, if anything."""

    entry: str
    seconds: float
    escaped: BaseException | None


def _calls(text: str) -> list[tuple[str, Callable[[], object]]]:
    rng = random.Random(len(text))

    def rolled() -> object:
        result = roll(text, rng=rng)
        return render_markdown(result, max_length=rng.choice([4096, 200, 40]))

    return [
        ("roll+render", rolled),
        ("roll_inline", lambda: roll_inline(f"I hit [[{text}]]!", rng=rng)),
        ("distribution", lambda: distribution(text)),
        ("bounds", lambda: bounds(text)),
    ]


def exercise(text: str) -> list[Finding]:
    """Call every entry point on `text`, cold, and report time and escapes."""
    findings = []
    for entry, call in _calls(text):
        _program._default_program.cache_clear()  # every case is a cold parse
        _program._program.cache_clear()
        start = time.process_time()
        escaped: BaseException | None = None
        try:
            call()
        except DiceError:
            pass
        except Exception as exc:  # the property under test: nothing else escapes
            escaped = exc
        findings.append(Finding(entry, time.process_time() - start, escaped))
    return findings


def _remeasure(text: str, entry: str) -> float:
    return next(f.seconds for f in exercise(text) if f.entry == entry)


def main(argv: list[str] | None = None) -> int:
    """Run the fuzzer and report the slowest cases and any violation."""
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--budget-ms", type=float, default=10.0)
    parser.add_argument("--report", type=int, default=10, help="slowest cases to show")
    args = parser.parse_args(argv)
    rng = random.Random(args.seed)
    budget = args.budget_ms / 1000
    slowest: list[tuple[float, str, str]] = []
    violations = 0
    began = time.monotonic()
    gc.freeze()
    for index in range(1, args.cases + 1):
        text = generate(rng)
        for finding in exercise(text):
            seconds = finding.seconds
            if finding.escaped is None and seconds > budget:
                seconds = min(seconds, *(_remeasure(text, finding.entry) for _ in range(2)))
            if finding.escaped is not None or seconds > budget:
                violations += 1
                what = repr(finding.escaped) if finding.escaped else f"{seconds * 1e3:.1f} ms"
                print(f"VIOLATION {finding.entry}: {what}: {text!r}", flush=True)
            slowest.append((seconds, finding.entry, text))
        if index % 1000 == 0:  # collect outside the timed calls, then freeze what is left
            gc.unfreeze()
            gc.collect()
            gc.freeze()
        if len(slowest) > 1000:
            slowest = sorted(slowest, reverse=True)[: args.report]
        if index % 50_000 == 0:
            elapsed = time.monotonic() - began
            print(f"{index:,} cases, {violations} violations, {elapsed:,.0f} s", flush=True)
    print(f"done: {args.cases:,} cases (seed {args.seed}), {violations} violations")
    for seconds, entry, text in sorted(slowest, reverse=True)[: args.report]:
        print(
            f"  {seconds * 1e3:6.2f} ms  {entry:13} {text[:120]!r}{'…' if len(text) > 120 else ''}"
        )
    return 1 if violations else 0


if __name__ == "__main__":
    sys.exit(main())
