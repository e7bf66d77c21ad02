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
    return _uuid_of(high << 64 | low)


def _uuid_of(value: int) -> uuid.UUID:
    """Return the UUID of a 128-bit integer, as `uuid.UUID(int=value)` does, in half the time.

    `UUID.__init__` checks which of its five forms it was given, then
    range-checks the integer: about 1 us, a third of building a roll's row.
    The value here is in range by construction, so its two slots are set
    directly, as `UUID.__init__` itself sets them (its slots are read-only
    through `setattr`, hence `object.__setattr__`).
    """
    made = _new(uuid.UUID)
    _set(made, "int", value)
    _set(made, "is_safe", _UNKNOWN)
    return made


_new = object.__new__
_set = object.__setattr__
_UNKNOWN = uuid.SafeUUID.unknown


@functools.cache
def _generator() -> random.Random:
    generator = random.Random()  # seeded from os.urandom
    if hasattr(os, "register_at_fork"):
        os.register_at_fork(after_in_child=generator.seed)
    return generator
