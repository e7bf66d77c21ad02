"""`BlockRandom`: OS randomness in blocks, faces by rejection, no modulo bias.

Draws are made deterministic by injecting the byte source: a seeded stream for
the chi-square tests, scripted values for the rejection boundaries, and counters
that enumerate every value of a byte space for the exhaustive checks.
"""

from __future__ import annotations

import copy
import math
import os
import pickle
import random
import sys
from collections import Counter
from collections.abc import Iterator

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from core_client.dice import BlockRandom, DiceTerm, roll
from core_client.dice.entropy import (
    FACES_PER_REFILL,
    MAX_FAST_SIDES,
    faces_from,
    rejection_limit,
    width_for,
)
from core_client.dice.limits import Limits
from core_client.settings import declared

PROFILE = settings(max_examples=300, deadline=None, derandomize=True)
ENGINE_MAX_SIDES = 10**9  # the highest `max_sides` a configuration may set


def seeded(seed: int) -> BlockRandom:
    """A generator whose bytes come from a seeded stream: reproducible, uniform."""
    return BlockRandom(random.Random(seed).randbytes)


class Scripted:
    """A byte source that returns the given `width`-byte values, then zeros."""

    def __init__(self, width: int, *values: int) -> None:
        self.data = b"".join(v.to_bytes(width, sys.byteorder) for v in values)
        self.asked: list[int] = []

    def __call__(self, size: int) -> bytes:
        self.asked.append(size)
        head, self.data = self.data[:size], self.data[size:]
        return head + bytes(size - len(head))


def counter(width: int) -> Iterator[int]:
    """Yield every `width`-byte value in turn, for ever."""
    while True:
        yield from range(256**width)


class Counting:
    """A byte source enumerating every `width`-byte value, in order, cyclically."""

    def __init__(self, width: int) -> None:
        self.width = width
        self.values = counter(width)

    def __call__(self, size: int) -> bytes:
        count = size // self.width
        out = b"".join(next(self.values).to_bytes(self.width, sys.byteorder) for _ in range(count))
        return out + bytes(size - len(out))


def chi_square(counts: Counter[int], sides: int, draws: int) -> float:
    expected = draws / sides
    return sum((counts[face] - expected) ** 2 / expected for face in range(sides))


def critical(df: int) -> float:
    """The chi-square value exceeded with probability 0.001 (Wilson-Hilferty)."""
    z = 3.0902
    return float(df * (1 - 2 / (9 * df) + z * math.sqrt(2 / (9 * df))) ** 3)


@pytest.mark.parametrize("sides", [2, 3, 6, 7, 20, 100, 129, 257, 1000, 10_000])
def test_faces_are_uniform_on_a_fixed_byte_stream(sides: int) -> None:
    rng = seeded(sides)
    draws = max(20_000, 50 * sides)  # at least 50 expected per face
    counts = Counter(rng.randrange(sides) for _ in range(draws))
    assert set(counts) == set(range(sides))
    assert chi_square(counts, sides, draws) < critical(sides - 1)


def test_the_chi_square_check_catches_modulo_bias_on_the_same_stream() -> None:
    # The control: reducing bytes modulo 100 without rejection favours faces 0-55.
    data = random.Random(100).randbytes(20_000)
    counts = Counter(byte % 100 for byte in data)
    assert chi_square(counts, 100, len(data)) > critical(99)


def test_the_critical_values_match_the_tables() -> None:
    # Published 0.001 critical values: df 5 -> 20.515, 19 -> 43.820, 99 -> 148.230.
    for df, table in ((5, 20.515), (19, 43.820), (99, 148.230)):
        assert abs(critical(df) - table) / table < 0.02


@pytest.mark.parametrize(
    ("sides", "width", "limit"),
    [
        (1, 1, 256),
        (2, 1, 256),
        (3, 1, 255),
        (6, 1, 252),
        (7, 1, 252),
        (20, 1, 240),
        (100, 1, 200),
        (128, 1, 256),
        (129, 1, 129),
        (256, 1, 256),
        (257, 2, 65_535),
        (1024, 2, 65_536),
        (10_000, 2, 60_000),  # the default `max_sides`
        (65_536, 2, 65_536),
        (65_537, 4, 4_294_967_295),
        (ENGINE_MAX_SIDES, 4, 4_000_000_000),
        (2**31, 4, 2**32),
        (2**32, 4, 2**32),
    ],
)
def test_rejection_boundaries(sides: int, width: int, limit: int) -> None:
    assert width_for(sides) == (width, {1: "B", 2: "H", 4: "I"}[width])
    assert rejection_limit(sides, 256**width) == limit
    assert limit % sides == 0
    # Every value from the limit up is refused; the one below it is the highest face.
    refused = range(limit, min(limit + 3, 256**width))
    source = Scripted(width, *refused, limit - 1, 0, limit - sides)
    rng = BlockRandom(source)
    assert rng.randrange(sides) == sides - 1
    assert rng.randrange(sides) == 0
    assert rng.randrange(sides) == 0
    assert source.asked == [8192]  # one block from the OS, not one call per draw


def test_the_largest_die_a_configuration_allows_takes_the_fast_path() -> None:
    declaration = declared(Limits.__dataclass_fields__["max_sides"])
    assert declaration is not None
    assert declaration.max == ENGINE_MAX_SIDES <= MAX_FAST_SIDES
    source = Scripted(4, 2**32 - 1, 3_999_999_999)
    assert BlockRandom(source).randrange(ENGINE_MAX_SIDES) == ENGINE_MAX_SIDES - 1


@pytest.mark.parametrize("space", [2**4, 2**8, 2**10])
def test_no_modulo_bias_exhaustively_over_small_spaces(space: int) -> None:
    for sides in range(1, space + 1):
        counts = Counter(faces_from(range(space), sides, space))
        assert set(counts) == set(range(sides))
        assert set(counts.values()) == {space // sides}, sides


@pytest.mark.parametrize("sides", [1, 3, 6, 7, 20, 100, 129, 200, 255, 256])
def test_no_modulo_bias_over_every_byte_through_the_generator(sides: int) -> None:
    # A refill reads FACES_PER_REFILL bytes: two whole cycles of 0..255.
    refills = 3
    rng = BlockRandom(Counting(1))
    limit = rejection_limit(sides, 256)
    draws = refills * FACES_PER_REFILL // 256 * limit
    counts = Counter(rng.randrange(sides) for _ in range(draws))
    assert set(counts.values()) == {draws // sides}


@pytest.mark.parametrize("sides", [257, 1000, 10_000, 65_535, 65_536])
def test_no_modulo_bias_over_every_two_byte_value_through_the_generator(sides: int) -> None:
    rng = BlockRandom(Counting(2))
    limit = rejection_limit(sides, 65_536)
    counts = Counter(rng.randrange(sides) for _ in range(limit))  # one cycle of 0..65535
    assert len(counts) == sides
    assert set(counts.values()) == {limit // sides}


@PROFILE
@given(
    st.one_of(st.integers(1, 300), st.integers(1, ENGINE_MAX_SIDES), st.integers(1, 2**70)),
    st.integers(0, 2**32),
)
def test_randrange_is_always_in_range(sides: int, seed: int) -> None:
    rng = seeded(seed)
    for _ in range(20):
        assert 0 <= rng.randrange(sides) < sides


@PROFILE
@given(st.integers(-(10**6), 10**6), st.integers(1, 10**6), st.integers(1, 7), st.integers(0, 99))
def test_the_rest_of_randoms_api_stays_in_range(low: int, width: int, step: int, seed: int) -> None:
    rng = seeded(seed)
    assert low <= rng.randint(low, low + width) <= low + width
    value = rng.randrange(low, low + width, step)
    assert low <= value < low + width
    assert (value - low) % step == 0
    assert 0.0 <= rng.random() < 1.0
    assert 0 <= rng.getrandbits(step * 9) < 2 ** (step * 9)


@PROFILE
@given(st.sampled_from(["1d20", "4d6kh3", "8d6!", "10d1000", "3d10000", "1dF", "2d%"]))
def test_rolls_with_the_block_generator_stay_on_the_dice(expression: str) -> None:
    result = roll(expression, rng=BlockRandom())
    for term in result.terms():
        assert isinstance(term, DiceTerm)
        low, high = (-1, 1) if term.sides == "F" else (1, int(term.sides))
        assert all(low <= die.natural <= high for die in term.dice)


def test_draws_come_from_the_os_and_differ_between_generators() -> None:
    a, b = BlockRandom(), BlockRandom()
    # 60 d20 alike by chance: 20**-60.
    assert [a.randrange(20) for _ in range(60)] != [b.randrange(20) for _ in range(60)]


def test_bytes_are_asked_in_blocks_not_per_draw() -> None:
    asked: list[int] = []

    def source(size: int) -> bytes:
        asked.append(size)
        return os.urandom(size)

    rng = BlockRandom(source)
    for _ in range(10_000):
        rng.randrange(20)
    # 10,000 d20 need about 10,700 bytes: two 8 KiB blocks.
    assert asked == [8192, 8192]


def test_a_state_cannot_be_saved_copied_or_restored() -> None:
    rng = BlockRandom()
    with pytest.raises(NotImplementedError):
        rng.getstate()
    with pytest.raises(NotImplementedError):
        rng.setstate(None)
    with pytest.raises(NotImplementedError):
        pickle.dumps(rng)
    with pytest.raises(NotImplementedError):
        copy.deepcopy(rng)
    rng.seed(42)  # a no-op, as for SystemRandom: the draws stay unpredictable
    assert isinstance(rng, random.Random)


@pytest.mark.skipif(not hasattr(os, "fork"), reason="os.fork is POSIX-only")
def test_a_forked_child_does_not_replay_the_parents_queued_faces() -> None:
    rng = BlockRandom()
    rng.randrange(1000)  # the parent now holds hundreds of queued faces
    reader, writer = os.pipe()
    pid = os.fork()
    if pid == 0:  # the child
        os.close(reader)
        os.write(writer, bytes(str([rng.randrange(1000) for _ in range(40)]), "ascii"))
        os._exit(0)
    os.close(writer)
    with os.fdopen(reader) as pipe:
        child = pipe.read()
    os.waitpid(pid, 0)
    assert child.startswith("[")
    assert child != str([rng.randrange(1000) for _ in range(40)])


def test_a_short_source_and_a_tiny_block_are_refused() -> None:
    with pytest.raises(ValueError, match="returned 3 bytes"):
        BlockRandom(lambda size: b"abc").randrange(6)
    with pytest.raises(ValueError, match="block_size"):
        BlockRandom(block_size=16)
    with pytest.raises(ValueError, match="non-negative"):
        BlockRandom().randbytes(-1)
    with pytest.raises(ValueError, match="non-negative"):
        BlockRandom().getrandbits(-1)
