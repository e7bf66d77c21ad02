"""Identifiers that sort by the time they were made (version 7 UUIDs, RFC 9562).

Core stores events, rolls and chat lines a batch at a time, each keyed by an
id. Random ids put each new row on an index page of its own, so a commit of
100 rows rewrote about 100 pages of each key's index; ids in time order land
on the last page or two. The ids stay opaque strings on the wire: Core
accepts any id, these are only kinder to its indexes.

Their random bits come from a generator of this module's own, not the OS
per id (an `os.urandom` call cost as much as the rest of a roll's row): an
id must be unique, not secret, since knowing one authorizes nothing. It is
seeded from the OS when first used and again in every forked child, so two
processes never share a sequence; it is not the `random` module's, whose
state tests (Hypothesis) hold still.
"""

from __future__ import annotations

import functools
import os
import random
import time
import uuid


def ordered_uuid() -> uuid.UUID:
    """Return a fresh UUID that sorts by creation time: 48 bits of Unix ms, 74 random bits."""
    rand = _generator().getrandbits(80)
    high = (time.time_ns() // 1_000_000) << 16 | 0x7000 | (rand >> 68)
    low = 0x8000000000000000 | (rand & 0x3FFFFFFFFFFFFFFF)
    return uuid.UUID(int=high << 64 | low)


@functools.cache
def _generator() -> random.Random:
    generator = random.Random()  # seeded from os.urandom
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=generator.seed)
    return generator
