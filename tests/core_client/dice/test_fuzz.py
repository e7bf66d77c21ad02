"""The fuzz target of bench/dice/fuzz.py, run briefly: every public entry point, on
generated and on arbitrary text, raises nothing but a DiceError.

The time property (at most 10 ms of CPU per call) is asserted by the long run,
`python -m bench.dice.fuzz --cases 1000000`, not here: the suite has no timed
assertions.
"""

from __future__ import annotations

import random

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bench.dice.fuzz import NOISE, exercise, generate

PROFILE = settings(
    max_examples=150,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)


def escapes(text: str) -> list[tuple[str, BaseException]]:
    return [(f.entry, f.escaped) for f in exercise(text) if f.escaped is not None]


@PROFILE
@given(st.randoms(use_true_random=False))
def test_generated_inputs_raise_only_dice_errors(rng: random.Random) -> None:
    text = generate(rng)
    assert escapes(text) == [], text


@PROFILE
@given(st.text(alphabet=NOISE, max_size=60))
def test_arbitrary_text_raises_only_dice_errors(text: str) -> None:
    assert escapes(text) == [], text


def test_exercise_calls_every_public_entry_point() -> None:
    findings = exercise("1d20")
    assert {f.entry for f in findings} == {"roll+render", "roll_inline", "distribution", "bounds"}
    assert all(f.escaped is None for f in findings)
