"""Unpredictable dice, fast: OS randomness drawn in blocks, faces taken by rejection.

`random.SystemRandom` makes one `os.urandom` call per draw, which was 27% of a roll.
`BlockRandom` asks the OS CSPRNG (or an injected byte source, in tests) for a block
of bytes at a time and turns each die size's share of it into faces in one pass, so
a draw is a dict lookup and a `next()`. Every face still comes from fresh CSPRNG
bytes: nothing about the next roll can be learnt from past ones, and there is no
seed or state to recover (pickling and `getstate()` are refused, as for
`SystemRandom`, and a forked child throws away what it inherited).

A face of a die with `n` sides comes from a `w`-byte value `v` (the narrowest of 1,
2 or 4 bytes whose space holds `n`), kept only when `v < limit`, the largest multiple
of `n` in the space, and then taken as `v % n`: every face gets exactly `limit // n`
of the values, so there is no modulo bias. Values are read in native byte order.
"""

from __future__ import annotations

import logging
import os
import random
import threading
import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Literal, NoReturn

log = logging.getLogger(__name__)

ByteSource = Callable[[int], bytes]
ValueFormat = Literal["B", "H", "I"]  # unsigned, native order, 1, 2 and 4 bytes

BLOCK_SIZE = 8192  # bytes asked of the source at a time
FACES_PER_REFILL = 512  # values turned into faces at once, per die size
MAX_QUEUED_SIZES = 64  # die sizes with faces waiting; past it the waiting faces are dropped
# (bytes per value, memoryview format) from narrowest to widest; the widest bounds `n`.
WIDTHS: tuple[tuple[int, ValueFormat], ...] = ((1, "B"), (2, "H"), (4, "I"))
MAX_FAST_SIDES = 256 ** WIDTHS[-1][0]

_LIVE: weakref.WeakSet[BlockRandom] = weakref.WeakSet()
_fork_hook: list[bool] = []  # registered once, by the first generator built


def width_for(n: int) -> tuple[int, ValueFormat]:
    """Return the bytes per value and the value format used for a die of `n` sides."""
    for width, fmt in WIDTHS:
        if n <= 256**width:
            return width, fmt
    raise ValueError(f"no byte width holds {n} faces (at most {MAX_FAST_SIDES})")


def rejection_limit(n: int, space: int) -> int:
    """Return the largest multiple of `n` not above `space`: values at or past it are refused."""
    return space - space % n


def faces_from(values: Iterable[int], n: int, space: int) -> list[int]:
    """Return the faces (0 to `n - 1`) that uniform `values` in `range(space)` give.

    A value below the rejection limit gives `value % n`; any other is dropped, so each
    face comes from exactly `limit // n` values.
    """
    limit = rejection_limit(n, space)
    return [value % n for value in values if value < limit]


class BlockRandom(random.Random):
    """A `random.Random` whose every draw comes from OS randomness read in blocks.

    `source(k)` must return `k` uniformly random bytes; it defaults to `os.urandom`
    (the OS CSPRNG) and is injected only by tests, to make draws reproducible.
    """

    def __init__(self, source: ByteSource = os.urandom, block_size: int = BLOCK_SIZE) -> None:
        if block_size < 4 * FACES_PER_REFILL:
            raise ValueError(f"block_size must be at least {4 * FACES_PER_REFILL} bytes")
        self._source = source
        self._block_size = block_size
        self._forget()
        super().__init__()
        _watch_forks(self)

    def _forget(self) -> None:
        """Drop every byte and face held: after a fork, both processes would share them."""
        self._lock = threading.Lock()
        self._block = b""
        self._offset = 0
        self._queues: dict[int, Iterator[int]] = {}

    def seed(self, a: object = None, version: int = 2) -> None:
        """Do nothing: OS randomness has no seed (as for `SystemRandom`)."""

    def getstate(self) -> NoReturn:
        """Refuse: a state would let someone replay the rolls."""
        raise NotImplementedError("BlockRandom has no state to save")

    def setstate(self, state: object) -> NoReturn:
        """Refuse: a state would let someone choose the rolls."""
        raise NotImplementedError("BlockRandom has no state to restore")

    def randrange(self, start: int, stop: int | None = None, step: int = 1) -> int:
        """Return a random integer as `Random.randrange` does; `randrange(n)` is the fast path."""
        if stop is None and step == 1:
            queue = self._queues.get(start)
            if queue is not None:
                face = next(queue, None)
                if face is not None:
                    return face
            if start.__class__ is int and 0 < start <= MAX_FAST_SIDES:
                return self._refill(start)
        return super().randrange(start, stop, step)

    def _refill(self, n: int) -> int:
        """Turn the next bytes into faces of a die of `n` sides; return the first."""
        width, fmt = width_for(n)
        queues = self._queues
        while True:
            chunk = self._take(width * FACES_PER_REFILL)
            faces = faces_from(memoryview(chunk).cast(fmt), n, 256**width)
            if faces:
                break
        if n not in queues and len(queues) >= MAX_QUEUED_SIZES:
            queues.clear()  # bounded memory whatever sizes are asked for
        queue = iter(faces)
        first = next(queue)
        queues[n] = queue
        return first

    def _take(self, count: int) -> bytes:
        """Return the next `count` bytes of the source, never the same bytes twice."""
        with self._lock:  # threads sharing one generator must not share bytes
            offset = self._offset
            if offset + count > len(self._block):
                size = max(self._block_size, count)
                self._block = _checked(self._source(size), size)
                offset = 0
            self._offset = offset + count
            return self._block[offset : offset + count]

    def getrandbits(self, k: int) -> int:
        """Return an integer of `k` random bits (what `Random`'s other methods draw from)."""
        if k < 0:
            raise ValueError("number of bits must be non-negative")
        size = (k + 7) // 8
        value = int.from_bytes(self._take(size), "little")
        return value >> (size * 8 - k)

    def random(self) -> float:
        """Return a float in [0, 1) with 53 random bits."""
        return self.getrandbits(53) * 2.0**-53

    def randbytes(self, n: int) -> bytes:
        """Return `n` random bytes."""
        if n < 0:
            raise ValueError("number of bytes must be non-negative")
        return self._take(n)


def _checked(block: bytes, size: int) -> bytes:
    if len(block) != size:
        raise ValueError(f"the byte source returned {len(block)} bytes, not {size}")
    return block


def _watch_forks(generator: BlockRandom) -> None:
    _LIVE.add(generator)
    if not _fork_hook and hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=_forget_in_child)
        _fork_hook.append(True)


def _forget_in_child() -> None:
    for generator in list(_LIVE):
        generator._forget()
